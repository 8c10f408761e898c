"""Structured logs: one JSON object per line. Never log comment bodies, cookies or tokens."""

from __future__ import annotations

import atexit
import contextvars
import functools
import logging
import logging.handlers
import queue
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


@functools.lru_cache(maxsize=8)  # records come second after second
def _second_text(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def utc_ms(wall: float) -> str:
    """A record's time: UTC to the millisecond, 2026-11-27T00:46:47.307Z."""
    second = int(wall)
    return f"{_second_text(second)}.{int((wall - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "_lines", False):
            return str(record.msg)  # a batch of access lines, formatted already
        entry: dict[str, Any] = {
            "ts": utc_ms(record.created),
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


def access_enabled() -> bool:
    return _access.isEnabledFor(logging.INFO)


# An answered request for the access log: (wall-clock time of the answer, request id, method,
# route template or "-", status, milliseconds, client digest).
AccessEntry = tuple[float, str, str, str, int, float, str]
_SAFE_FIELD = re.compile(r"^[A-Za-z0-9._{}/-]*$")


def _escaped(text: str) -> str:
    """`text` as it goes between the quotes of a JSON string."""
    valid = text.encode("utf-8", "backslashreplace").decode()  # lone surrogates, say
    return orjson.dumps(valid).decode()[1:-1]


def write_access(entries: list[AccessEntry]) -> None:
    """Access lines, one per answered request, in the shape of every other record. The
    request middleware collects them and calls this in batches, so that a busy worker pays
    one hand-off to the writer thread per batch instead of the logging machinery per request
    (docs/performance.md).

    Each line is put together directly, not through a JSON encoder per line: the middleware's
    values need no escaping (request ids it checked or made, methods from a fixed set, route
    templates, hex digests), and a line with any other character is escaped in full."""
    if _listener is None:  # logging not set up by us (tests, embedding): plain records
        for _wall, rid, method, route, status, ms, client in entries:
            fields = {"request_id": rid, "method": method, "route": route, "status": status}
            _access.info("request", extra={**fields, "ms": ms, "client": client})
        return
    if not entries or not access_enabled():
        return
    lines = []
    for wall, rid, method, route, status, ms, client in entries:
        if not _SAFE_FIELD.match(rid + method + route + client):
            rid, method, route, client = map(_escaped, (rid, method, route, client))
        lines.append(
            f'{{"ts":"{utc_ms(wall)}","level":"info",'
            f'"logger":"service.access","msg":"request","request_id":"{rid}",'
            f'"method":"{method}","route":"{route}","status":{int(status)},"ms":{float(ms)!r},'
            f'"client":"{client}"}}'
        )
    record = logging.LogRecord("service.access", logging.INFO, "", 0, "", None, None)
    record.msg = "\n".join(lines)
    record._lines = True
    _listener.queue.put_nowait(record)


# What holds records back to write them in batches (the request middleware's collector):
# called before the process ends and by `flush_logs`.
_batches: list[Callable[[], None]] = []


def hold_back(flush: Callable[[], None]) -> None:
    """Register the flush of something that batches records."""
    _batches.append(flush)


def flush_batches() -> None:
    for flush in _batches:
        flush()


def flush_logs() -> None:
    """Wait until every record logged so far has been written."""
    flush_batches()
    if _listener is not None:
        _listener.queue.join()  # type: ignore[attr-defined]


def setup_logging(level: str = "INFO") -> None:
    global _listener
    if _listener is not None:
        atexit.unregister(_listener.stop)
        flush_batches()
        _listener.stop()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    _listener = logging.handlers.QueueListener(records, handler)
    _listener.start()
    atexit.register(_listener.stop)  # drain what is queued before the process ends
    atexit.unregister(flush_batches)
    atexit.register(flush_batches)  # (atexit runs last-registered first: this before)
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
