"""Request ids, the access log and the request metrics: one middleware, outermost, so that
what it logs and counts is every answer's final status."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import itertools
import re
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from ..appkeys import SETTINGS
from ..logs import access_log, request_id
from .errors import CLIENT_CLOSED_REQUEST
from .forwarded import client_ip, trusted_networks
from .metrics import count_request

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


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Take a well-formed X-Request-Id from the proxy or make one; log one line per request
    with the route (not the raw path or query, which may carry tokens) and a keyed digest of
    the client's address (never the address)."""
    incoming = request.headers.get("X-Request-Id", "")
    rid = incoming if incoming and _INCOMING_ID.match(incoming) else new_request_id()
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = rid
        return response
    except web.HTTPException as exc:  # a redirect raised by a handler is not a 500
        status = exc.status
        raise
    except asyncio.CancelledError:
        # The client went away and the server cancelled the handler (or it is shutting down):
        # "client closed request", as for a body cut short (http/errors.py), not a 500.
        status = CLIENT_CLOSED_REQUEST
        raise
    finally:
        seconds = time.perf_counter() - started
        route = request.match_info.route.resource
        trusted = trusted_networks(request.app[SETTINGS].server.trusted_proxies)
        access_log.write(
            {
                "method": request.method,
                "route": route.canonical if route is not None else "-",
                "status": status,
                "ms": round(seconds * 1000, 2),
                "client": client_digest(client_ip(request, trusted)),
            }
        )
        count_request(request, status, seconds)
        request_id.reset(token)


def setup_requests(app: web.Application) -> None:
    app.middlewares.append(request_id_middleware)
