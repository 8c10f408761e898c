"""Structured logs: one JSON object per line. Never log comment bodies, cookies or tokens."""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import logging
import logging.handlers
import queue
import sys
import time
from typing import Any

import orjson

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "_lines", False):
            return str(record.msg)  # a batch of access lines, formatted already
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _ContextQueueHandler(logging.handlers.QueueHandler):
    """Hands records to the writer thread with the request id they were logged under; the
    formatting and the write (a system call per line) happen off the event loop."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.request_id = request_id.get()
        return record


_listener: logging.handlers.QueueListener | None = None
_access = logging.getLogger("service.access")


class AccessLog:
    """One JSON line per request, in the same shape as every other record, but without the
    logging machinery per request: lines are encoded at once and handed to the writer thread
    in batches (at most every 50 ms), so a busy worker pays one queue hand-off per batch
    instead of one per request (docs/performance.md)."""

    DELAY = 0.05

    def __init__(self) -> None:
        self._lines: list[bytes] = []
        self._scheduled: asyncio.AbstractEventLoop | None = None  # the loop a flush waits on
        self._second = -1
        self._stamp = ""

    def write(self, fields: dict[str, Any]) -> None:
        if _listener is None:  # logging not set up by us (tests, embedding): plain records
            _access.info("request", extra=fields)
            return
        if not _access.isEnabledFor(logging.INFO):
            return
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        entry = {
            "ts": f"{self._stamp}.{int((now - second) * 1000):03d}Z",
            "level": "info",
            "logger": "service.access",
            "msg": "request",
            "request_id": request_id.get(),
            **fields,
        }
        self._lines.append(orjson.dumps(entry, default=str))
        loop = asyncio.get_running_loop()
        if self._scheduled is not loop:  # none yet, or one on a loop that has since ended
            self._scheduled = loop
            loop.call_later(self.DELAY, self.flush)

    def flush(self) -> None:
        self._scheduled = None
        lines, self._lines = self._lines, []
        if lines and _listener is not None:
            record = logging.LogRecord("service.access", logging.INFO, "", 0, "", None, None)
            record.msg = b"\n".join(lines).decode()
            record._lines = True
            _listener.queue.put_nowait(record)


access_log = AccessLog()


def flush_logs() -> None:
    """Wait until every record logged so far has been written."""
    access_log.flush()
    if _listener is not None:
        _listener.queue.join()  # type: ignore[attr-defined]


def setup_logging(level: str = "INFO") -> None:
    global _listener
    if _listener is not None:
        atexit.unregister(_listener.stop)
        access_log.flush()
        _listener.stop()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    _listener = logging.handlers.QueueListener(records, handler)
    _listener.start()
    atexit.register(_listener.stop)  # drain what is queued before the process ends
    atexit.unregister(access_log.flush)
    atexit.register(access_log.flush)  # (atexit runs last-registered first: this before)
    root = logging.getLogger()
    root.handlers[:] = [_ContextQueueHandler(records)]
    root.setLevel(level)
    # The logging HOWTO's optimisations: no caller lookup, thread or process names per record.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # aiohttp's own access log is replaced by ours (it would log raw query strings).
    logging.getLogger("aiohttp.access").disabled = True
    # httpx logs every provider URL at INFO, and Facebook's carry appsecret_proof.
    for name in ("httpx", "httpx2", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
