"""Request ids and the access log."""

from __future__ import annotations

import logging
import re
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from ..logs import request_id

log = logging.getLogger("service.access")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Take a well-formed X-Request-Id from the proxy or make one; log one line per request
    with the route (not the raw path or query, which may carry tokens)."""
    incoming = request.headers.get("X-Request-Id", "")
    rid = incoming if _INCOMING_ID.match(incoming) else secrets.token_hex(8)
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = rid
        return response
    finally:
        route = request.match_info.route.resource
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": route.canonical if route is not None else "-",
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        request_id.reset(token)


def setup_requests(app: web.Application) -> None:
    app.middlewares.append(request_id_middleware)
