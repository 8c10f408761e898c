"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .appkeys import REDIS, SETTINGS
from .errors import ServiceUnavailable
from .http.body import json_response
from .store.client import UNAVAILABLE_ERRORS


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving; says nothing about Redis."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready to take traffic: Redis answers within the configured timeout."""
    settings = request.app[SETTINGS].redis
    try:
        async with asyncio.timeout(settings.socket_timeout):
            await request.app[REDIS].ping()
    except (TimeoutError, *UNAVAILABLE_ERRORS) as exc:  # type: ignore[misc]
        raise ServiceUnavailable(
            "Redis is not answering.", retry_after=settings.retry_after
        ) from exc
    return json_response({"status": "ready"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
