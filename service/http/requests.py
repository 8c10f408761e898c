"""The request middleware: the app's only one.

Around every handler, in this order: a request id; CORS and the Origin half of CSRF protection
(`security.Cors`); the handler; exceptions turned into the JSON error (`errors.ErrorAnswers`);
CORS, security and request-id headers on the answer; and, once it is final, a record of it for
the access log and the request metrics. One middleware instead of three: each layer costs a
coroutine and a call per request, and these run on every request (docs/performance.md).

The records are kept in memory and handed on in batches, at most `Answers.DELAY` seconds
later: access lines to the writer thread, counts and times to the metrics. A scrape of
`/metrics` and `flush_logs()` hand on what is pending first.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import itertools
import re
import secrets
import time
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from ..logs import hold_back, request_id, write_access
from ..settings import Settings
from .errors import CLIENT_CLOSED_REQUEST, ErrorAnswers
from .forwarded import CLIENT_ADDRESS, client_ip, trusted_networks
from .metrics import METHODS, UNMATCHED, count_requests
from .security import Cors, add_security_headers

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Keys the client-address digest in the access log: the same reader's requests can be told
# together within one process's log, but the address cannot be recovered from it by trying
# every IPv4 address, and logs of different processes or restarts cannot be joined by it.
_CLIENT_SALT = secrets.token_bytes(16)


# Request ids this process makes: a random prefix per process and a counter, so they are
# unique across workers and restarts without a system call for randomness per request.
_ID_PREFIX = secrets.token_hex(4)
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"


@functools.lru_cache(maxsize=4096)  # readers come back; an HMAC per request is not needed
def client_digest(address: str) -> str:
    digest = hmac.new(_CLIENT_SALT, address.encode("utf-8", "replace"), hashlib.sha256)
    return digest.hexdigest()[:12]


# One answered request: (wall-clock time, request id, method, the matched resource or None,
# whether routing failed, status, seconds, client address).
_Answer = tuple[float, str, str, Any, bool, int, float, str]


class Answers:
    """The records of answered requests, handed on in batches (see the module's doc)."""

    DELAY = 0.05
    # A flush this late has no loop to run it (the loop it was scheduled on has ended).
    LOST_AFTER = 1.0

    def __init__(self) -> None:
        self._pending: list[_Answer] = []
        # Wall-clock time after which a new answer schedules a flush: 0 when none is scheduled.
        # Checked against the answer's own time, not the running loop: on Python 3.11
        # `asyncio.get_running_loop()` makes a getpid system call, which cost a page read 3 %.
        self._due = 0.0

    def add(self, answer: _Answer) -> None:
        self._pending.append(answer)
        if answer[0] >= self._due:
            if self._due:  # scheduled on a loop that has ended: what it left goes now
                self.flush()
            self._due = answer[0] + self.DELAY + self.LOST_AFTER
            asyncio.get_running_loop().call_later(self.DELAY, self.flush)

    def flush(self) -> None:
        self._due = 0.0
        pending, self._pending = self._pending, []
        if not pending:
            return
        counted = []
        logged = []
        for wall, rid, method, resource, failed, status, seconds, address in pending:
            if method not in METHODS:
                method = "OTHER"  # clients pick methods; logs and labels take a fixed set
            route = resource.canonical if resource is not None else "-"  # "-": no route took it
            counted.append(
                (method, UNMATCHED if failed or resource is None else route, status, seconds)
            )
            logged.append(
                (wall, rid, method, route, status, round(seconds * 1000, 2), client_digest(address))
            )
        count_requests(counted)
        write_access(logged)


answers = Answers()
hold_back(answers.flush)


def request_middleware(settings: Settings) -> Middleware:
    cors = Cors(settings)
    errors = ErrorAnswers(settings)
    trusted = trusted_networks(settings.server.trusted_proxies)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Take a well-formed X-Request-Id from the proxy or make one. The access log gets the
        route (not the raw path or query, which may carry tokens) and a keyed digest of the
        client's address (never the address)."""
        headers = request.headers
        incoming = headers.get("X-Request-Id")
        rid = incoming if incoming and _INCOMING_ID.match(incoming) else new_request_id()
        token = request_id.set(rid)
        address = request[CLIENT_ADDRESS] = client_ip(request, trusted)
        started = time.perf_counter()
        status = 500
        origin = headers.get(hdrs.ORIGIN)
        try:
            response: web.StreamResponse | None
            preflight = False
            try:
                response = cors.check(request, origin)
                preflight = response is not None
                if response is None:
                    response = await handler(request)
            except web.HTTPException as exc:
                if exc.status >= 400:
                    response = errors.answer(request, exc)
                else:  # a redirect, raised: aiohttp sends it
                    status = exc.status
                    _decorate(cors, exc, origin, False, rid)
                    raise
            except Exception as exc:
                response = errors.answer(request, exc)
            status = response.status
            _decorate(cors, response, origin, preflight, rid)
            return response
        except asyncio.CancelledError:
            # The client went away and the server cancelled the handler (or it is shutting down):
            # "client closed request", as for a body cut short (http/errors.py), not a 500.
            status = CLIENT_CLOSED_REQUEST
            raise
        finally:
            match_info = request.match_info
            answers.add(
                (
                    time.time(),
                    rid,
                    request.method,
                    match_info.route.resource,
                    match_info.http_exception is not None,
                    status,
                    time.perf_counter() - started,
                    address,
                )
            )
            request_id.reset(token)

    return middleware


def _decorate(
    cors: Cors, response: web.StreamResponse, origin: str | None, preflight: bool, rid: str
) -> None:
    """Headers on the answer. A handler that streams has sent its headers already (it adds the
    security headers itself); then these change nothing that is sent."""
    cors.decorate(response, origin, preflight)
    add_security_headers(response)
    response.headers["X-Request-Id"] = rid


async def _flush_answers(app: web.Application) -> None:
    answers.flush()


def setup_requests(app: web.Application, settings: Settings) -> None:
    app.middlewares.append(request_middleware(settings))
    app.on_cleanup.append(_flush_answers)  # the last requests' lines and counts, at once
