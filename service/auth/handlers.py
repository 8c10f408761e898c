"""Routes about the reader's own session (the login flows live in `oauth`)."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import SESSIONS, SETTINGS
from ..http.body import json_response
from ..settings import Settings
from .web import require_reader


def set_session_cookie(response: web.StreamResponse, settings: Settings, token: str) -> None:
    s = settings.sessions
    response.set_cookie(
        s.cookie_name,
        token,
        max_age=s.ttl_seconds,
        path="/",
        secure=s.cookie_secure,
        httponly=True,
        samesite=s.cookie_samesite,
    )


def clear_session_cookie(response: web.StreamResponse, settings: Settings) -> None:
    s = settings.sessions
    response.del_cookie(
        s.cookie_name, path="/", secure=s.cookie_secure, httponly=True, samesite=s.cookie_samesite
    )


async def me(request: web.Request) -> web.Response:
    reader = await require_reader(request)
    user = reader.user
    return json_response(
        {
            "user": {**user.public(), "provider": user.provider, "status": user.effective_status()},
            # Cookie sessions send this back as X-CSRF-Token on every change.
            "csrf_token": reader.session.csrf_token,
        }
    )


async def logout(request: web.Request) -> web.Response:
    reader = await require_reader(request)
    await request.app[SESSIONS].delete(reader.session)
    response = web.Response(status=204)
    clear_session_cookie(response, request.app[SETTINGS])
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/auth/me", me)
    app.router.add_post("/auth/logout", logout)
