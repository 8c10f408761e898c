"""Who is asking: the reader behind a session cookie or a bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import hdrs, web

from ..appkeys import SESSIONS, SETTINGS
from ..errors import CsrfFailed, Unauthorized
from ..http.security import UNSAFE_METHODS
from .sessions import Session, csrf_matches
from .users import User

CSRF_HEADER = "X-CSRF-Token"
_READER = web.RequestKey("reader", object)


@dataclass(frozen=True)
class Reader:
    session: Session
    user: User
    token: str
    via_cookie: bool


def _presented_token(request: web.Request) -> tuple[str | None, bool]:
    auth = request.headers.get(hdrs.AUTHORIZATION)
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.", code="invalid_token")
        return token.strip(), False
    cookie = request.cookies.get(request.app[SETTINGS].sessions.cookie_name)
    return (cookie, True) if cookie else (None, False)


async def optional_reader(request: web.Request) -> Reader | None:
    """The reader, resolved once per request; None when nobody is logged in."""
    if _READER in request:
        return request[_READER]  # type: ignore[return-value]
    token, via_cookie = _presented_token(request)
    reader = None
    if token:
        found = await request.app[SESSIONS].load(token)
        if found is None and not via_cookie:
            raise Unauthorized("The token is unknown or has expired.", code="invalid_token")
        if found is not None:
            reader = Reader(found[0], found[1], token, via_cookie)
    request[_READER] = reader
    return reader


async def require_reader(request: web.Request) -> Reader:
    """The logged-in reader; a cookie-authenticated change also needs the session's CSRF token
    (the Origin check has already run in the security middleware)."""
    reader = await optional_reader(request)
    if reader is None:
        raise Unauthorized()
    if reader.via_cookie and request.method in UNSAFE_METHODS:
        if not csrf_matches(reader.session, request.headers.get(CSRF_HEADER)):
            raise CsrfFailed(reason="token")
    return reader
