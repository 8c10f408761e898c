"""Moderators' routes about articles: close, reopen, and the moderation mode."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import MODERATION, SETTINGS
from ..http.body import Field, json_response, read_json
from ..settings import Settings
from .articles import MODES, ArticleState, article_state, control
from .web import require_moderator

API = "/api/v1/moderation/articles/{article_id}"


def _shape(state: ArticleState, settings: Settings) -> web.Response:
    return json_response(
        state.to_json(settings.comments.moderation_mode, settings.moderation.auto_close_days)
    )


async def get_article(request: web.Request) -> web.Response:
    await require_moderator(request)
    state = await article_state(request.app[MODERATION], request.match_info["article_id"])
    return _shape(state, request.app[SETTINGS])


async def post_article(request: web.Request) -> web.Response:
    moderator = await require_moderator(request)
    settings = request.app[SETTINGS]
    data = await read_json(
        request,
        (
            Field("closed", bool, required=False),
            Field("mode", str, required=False, choices=(*MODES, "site")),
            Field("reason", str, required=False, choices=tuple(settings.moderation.reason_codes)),
            Field("note", str, required=False, max_length=1000),
        ),
    )
    state = await control(
        request.app[MODERATION],
        moderator,
        request.match_info["article_id"],
        closed=data.get("closed"),
        mode=data.get("mode"),
        reason=data.get("reason", ""),
        note=data.get("note", ""),
    )
    return _shape(state, settings)


def setup_routes(app: web.Application) -> None:
    app.router.add_get(API, get_article)
    app.router.add_post(API, post_article)
