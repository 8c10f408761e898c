"""Structured logs: one JSON object per line. Never log comment bodies, cookies or tokens."""

from __future__ import annotations

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


def flush_logs() -> None:
    """Wait until every record logged so far has been written."""
    if _listener is not None:
        _listener.queue.join()  # type: ignore[attr-defined]


def setup_logging(level: str = "INFO") -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    _listener = logging.handlers.QueueListener(records, handler)
    _listener.start()
    atexit.register(_listener.stop)  # drain what is queued before the process ends
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
