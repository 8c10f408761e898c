"""Moderators' routes about readers: sanctions and a reader's history."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import MODERATION, SETTINGS, USERS
from ..errors import NotFound
from ..http.body import Field, json_response, query_int, read_json
from . import audit
from .sanctions import SANCTIONS, USER_ID, comments_of, sanction, user_json
from .web import require_moderator

API = "/api/v1/moderation/users/{user_id}"


async def post_sanction(request: web.Request) -> web.Response:
    moderator = await require_moderator(request)
    codes = tuple(request.app[SETTINGS].moderation.reason_codes)
    data = await read_json(
        request,
        (
            Field("action", str, choices=tuple(SANCTIONS)),
            Field("reason", str, choices=codes),
            Field("note", str, required=False, max_length=1000),
            Field("duration_seconds", int, required=False, minimum=60),
            Field("reject_waiting", bool, required=False),
        ),
    )
    done = await sanction(
        request.app[MODERATION],
        request.app[USERS],
        moderator,
        request.match_info["user_id"],
        data["action"],
        data["reason"],
        data.get("note", ""),
        data.get("duration_seconds"),
        data.get("reject_waiting", False),
    )
    return json_response({"user": user_json(done.user), "rejected": done.rejected})


async def get_user(request: web.Request) -> web.Response:
    await require_moderator(request)
    user_id = request.match_info["user_id"]
    user = await request.app[USERS].get(user_id) if USER_ID.match(user_id) else None
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    limit = query_int(request, "limit", 100, 1, 1000)
    queue = request.app[MODERATION]
    comments = await comments_of(queue, user_id, limit)
    return json_response(
        {
            "user": user_json(user),
            "comments": [c.to_json() for c in comments],
            "decisions": [
                {"comment_id": c.comment.id, **c.decision.to_json()}
                for c in comments
                if c.decision is not None
            ],
            "sanctions": await audit.user_history(queue.redis, queue.keys, user_id),
        }
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_post(f"{API}/sanctions", post_sanction)
    app.router.add_get(API, get_user)
