"""Who is moderating: the moderator behind an `Authorization: Bearer sdm_…` token.

Only moderator tokens are looked at here; a reader's session (cookie or bearer) never grants
moderator rights, and a moderator token is never taken for a reader's session.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from ..appkeys import MODERATORS
from ..errors import Forbidden, Unauthorized
from .moderators import Moderator, looks_like_moderator_token

_MODERATOR = web.RequestKey("moderator", Moderator)


async def require_moderator(request: web.Request, *, admin: bool = False) -> Moderator:
    moderator = request.get(_MODERATOR)
    if moderator is None:
        scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not looks_like_moderator_token(token):
            raise Unauthorized(
                "Use 'Authorization: Bearer sdm_…' with a moderator token.",
                code="moderator_token_required",
            )
        moderator = await request.app[MODERATORS].authenticate(token)
        if moderator is None:
            raise Unauthorized("The moderator token is unknown or revoked.", code="invalid_token")
        request[_MODERATOR] = moderator
    if admin and not moderator.is_admin:
        raise Forbidden("Only an admin may do this.", code="admin_required")
    return moderator
