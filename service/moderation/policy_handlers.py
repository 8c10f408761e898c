"""Admins read and replace the standards-board policy (rules and word lists)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ..appkeys import REDIS, RULES, SETTINGS
from ..errors import InvalidRequest
from ..http.body import Field, json_response, read_json
from .policy import MAX_TEXT, PolicyFollower, PolicyStore
from .web import require_moderator

API = "/api/v1/moderation/rules"
POLICY = web.AppKey("moderation_policy", PolicyFollower)


async def get_rules(request: web.Request) -> web.Response:
    await require_moderator(request, admin=True)
    follower = request.app[POLICY]
    stored = await follower.store.stored()
    if stored is None:
        path = follower.store.shipped_path
        text, source, lists, by, at = path.read_text(encoding="utf-8"), "file", [], None, None
    else:
        text, source, lists = stored.text, "api", sorted(stored.word_lists)
        by, at = stored.by, stored.at
    return json_response(
        {
            "version": str(request.app[RULES].current.version),
            "seq": follower.seq,
            "source": source,
            "text": text,
            "word_lists": lists,
            "updated_by": by,
            "updated_at": at,
            "history": await follower.store.history(),
        }
    )


async def put_rules(request: web.Request) -> web.Response:
    moderator = await require_moderator(request, admin=True)
    # The shipped rules with their word lists outgrow server.max_body_bytes; only admins get
    # this far, so only they may send this much.
    data = await read_json(
        request,
        (
            Field("text", str, max_length=MAX_TEXT),
            Field("word_lists", dict, required=False),
            Field("note", str, required=False, max_length=1000),
        ),
        max_bytes=request.app[SETTINGS].moderation.max_policy_bytes,
    )
    lists = data.get("word_lists", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in lists.items()):
        raise InvalidRequest("word_lists maps file names to their text.", field="word_lists")
    follower = request.app[POLICY]
    stored, ruleset = await follower.store.replace(
        moderator, data["text"], lists, data.get("note", "")
    )
    follower.applied(stored.seq, ruleset)
    return json_response({"version": stored.version, "seq": stored.seq})


async def policy_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    store = PolicyStore(app[REDIS], settings.redis.key_prefix, settings.rules.resolved_path())
    follower = PolicyFollower(store, app[RULES], settings.moderation.rules_poll_seconds)
    app[POLICY] = follower
    follower.start()
    try:
        yield
    finally:
        await follower.close()


def setup_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(policy_ctx)
    app.router.add_get(API, get_rules)
    app.router.add_put(API, put_rules)
