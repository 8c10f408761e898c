"""The moderators' HTTP API and reader reports: parse, call the domain, shape the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web
from aiohttp_sse import sse_response

from .. import metrics
from ..appkeys import COALESCER, MODERATION, MODERATORS, PAGES, REDIS, SETTINGS
from ..auth.web import require_reader
from ..comments.ids import COMMENT_ID
from ..comments.model import iso
from ..errors import InvalidRequest, NotFound
from ..http.body import Field, json_response, query_int, read_json
from ..http.security import SECURITY_HEADERS
from ..store.keys import Keys
from . import article_handlers, audit, audit_handlers, policy_handlers, user_handlers
from .events import EventHub
from .model import ACTIONS, VIEWS
from .moderators import ModeratorStore
from .queue import ClaimFilter, ModerationQueue, ModerationScripts, check_view
from .reports import MAX_DETAILS, REPORT_REASONS, report_comment, reports_of
from .web import require_moderator

API = "/api/v1/moderation"
EVENTS = web.AppKey("moderation_events", EventHub)


def comment_id_of(request: web.Request) -> str:
    comment_id = request.match_info["comment_id"]
    if not COMMENT_ID.match(comment_id):
        raise NotFound("No such comment.", code="comment_not_found")
    return comment_id


def checked_ids(value: list[Any], limit: int) -> list[str]:
    if not value or len(value) > limit:
        raise InvalidRequest(f"Give 1 to {limit} comment ids.", field="ids", maximum=limit)
    for item in value:
        if not isinstance(item, str) or not COMMENT_ID.match(item):
            raise InvalidRequest("Every id must be a comment id.", field="ids")
    return list(dict.fromkeys(value))


# ---------------------------------------------------------------- claims


async def post_claims(request: web.Request) -> web.Response:
    moderator = await require_moderator(request)
    settings = request.app[SETTINGS].moderation
    data = await read_json(
        request,
        (
            Field("view", str, choices=VIEWS),
            Field("count", int, required=False, minimum=1, maximum=settings.max_claim),
            Field("article", str, required=False),
            Field("rule", str, required=False),
        ),
    )
    only = ClaimFilter(data.get("article"), data.get("rule"))
    claimed = await request.app[MODERATION].claim(
        moderator, data["view"], data.get("count", 20), only
    )
    metrics.comments_claimed(data["view"], len(claimed))
    return json_response(
        {
            "view": data["view"],
            "lease_seconds": settings.lease_seconds,
            "claims": [
                {"comment": c.item.to_json(), "lease_until": iso(c.lease_until)} for c in claimed
            ],
        }
    )


async def _lease(request: web.Request, mode: str) -> web.Response:
    moderator = await require_moderator(request)
    limit = request.app[SETTINGS].moderation.max_claim
    data = await read_json(request, (Field("ids", list),))
    ids = checked_ids(data["ids"], limit)
    queue = request.app[MODERATION]
    results = await (queue.extend if mode == "extend" else queue.release)(moderator, ids)
    return json_response(
        {
            "results": [
                {
                    "id": r.comment_id,
                    "result": r.result,
                    "lease_until": iso(r.lease_until) if r.lease_until else None,
                }
                for r in results
            ]
        }
    )


async def extend_claims(request: web.Request) -> web.Response:
    return await _lease(request, "extend")


async def release_claims(request: web.Request) -> web.Response:
    return await _lease(request, "release")


# ---------------------------------------------------------------- decisions


def _decision_fields(settings_codes: list[str]) -> tuple[Field, ...]:
    return (
        Field("action", str, choices=ACTIONS),
        Field("reason", str, choices=tuple(settings_codes)),
        Field("note", str, required=False, max_length=1000),
    )


async def post_decision(request: web.Request) -> web.Response:
    moderator = await require_moderator(request)
    comment_id = comment_id_of(request)
    codes = request.app[SETTINGS].moderation.reason_codes
    data = await read_json(request, _decision_fields(codes))
    state = await request.app[MODERATION].decide(
        moderator, comment_id, data["action"], data["reason"], data.get("note", "")
    )
    return json_response(state.to_json())


async def post_decisions(request: web.Request) -> web.Response:
    moderator = await require_moderator(request)
    settings = request.app[SETTINGS].moderation
    data = await read_json(request, (Field("ids", list), *_decision_fields(settings.reason_codes)))
    ids = checked_ids(data["ids"], settings.max_claim)
    decided = await request.app[MODERATION].decide_many(
        moderator, ids, data["action"], data["reason"], data.get("note", "")
    )
    results = []
    for cid, d in decided:
        row: dict[str, Any] = {"id": cid, "outcome": d.outcome}
        if d.state is not None:
            row.update(d.state.to_json())
        results.append(row)
    return json_response({"results": results})


# ---------------------------------------------------------------- reading


async def get_queue_counts(request: web.Request) -> web.Response:
    await require_moderator(request)
    return json_response({"views": await request.app[MODERATION].counts()})


async def get_view(request: web.Request) -> web.Response:
    await require_moderator(request)
    view = check_view(request.match_info["view"])
    limit = query_int(request, "limit", 50, 1, 200)
    only = ClaimFilter(request.query.get("article") or None, request.query.get("rule") or None)
    items = await request.app[MODERATION].list_view(view, limit, only.article_id, only.rule_id)
    return json_response({"view": view, "comments": [i.to_json() for i in items]})


async def get_comment(request: web.Request) -> web.Response:
    await require_moderator(request)
    comment_id = comment_id_of(request)
    queue = request.app[MODERATION]
    item = await queue.get(comment_id)
    if item is None:
        raise NotFound("No such comment.", code="comment_not_found")
    return json_response(
        {
            "comment": item.to_json(),
            "reports": await reports_of(queue, comment_id),
            "history": await audit.comment_history(queue.redis, queue.keys, comment_id),
        }
    )


# ---------------------------------------------------------------- reports (readers)


async def post_report(request: web.Request) -> web.Response:
    reader = await require_reader(request)
    comment_id = comment_id_of(request)
    data = await read_json(
        request,
        (
            Field("reason", str, choices=REPORT_REASONS),
            Field("details", str, required=False, max_length=MAX_DETAILS),
        ),
    )
    reported = await report_comment(
        request.app[MODERATION],
        comment_id,
        reader.user.id,
        data["reason"],
        data.get("details", ""),
    )
    # A repeated report changes nothing and answers the first one (200 instead of 201).
    return json_response(reported.to_json(comment_id), status=201 if reported.created else 200)


# ---------------------------------------------------------------- live updates


async def get_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `counts` (per view, when they change), `queued` (new work at
    intake), `claimed`, `extended`, `released`, `decided`, `withheld` (see `events`); each data
    line is the event as JSON."""
    await require_moderator(request)
    async with (
        sse_response(request, headers={"Cache-Control": "no-store", **SECURITY_HEADERS}) as stream,
        request.app[EVENTS].subscribe() as inbox,
    ):
        while stream.is_connected():
            event = await inbox.get()
            if event is None:  # fell too far behind: the console reconnects
                break
            await stream.send(orjson.dumps(event).decode(), event=str(event["type"]))
    return stream


# ---------------------------------------------------------------- assembly


async def moderation_ctx(app: web.Application) -> AsyncIterator[None]:
    """Built on the pool that `redis_ctx` opened (it runs first). The consumer groups need no
    start-up step: the claim script creates a missing one, reading from id 0."""
    settings = app[SETTINGS]
    keys = Keys(settings.redis.key_prefix)
    client = app[REDIS]
    coalescer = app[COALESCER]  # shared with intake: one batch per loop turn for everyone
    scripts = ModerationScripts(client, coalescer)
    app[MODERATION] = ModerationQueue(client, keys, scripts, settings.moderation)
    app[MODERATION].public_changed = app[PAGES].forget
    app[MODERATORS] = ModeratorStore(client, keys, coalescer)
    app[EVENTS] = EventHub(app[MODERATION], settings.moderation.events_interval)
    try:
        yield
    finally:
        await app[EVENTS].close()


def setup_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(moderation_ctx)
    r = app.router
    r.add_post(f"{API}/claims", post_claims)
    r.add_post(f"{API}/claims/extend", extend_claims)
    r.add_post(f"{API}/claims/release", release_claims)
    r.add_post(f"{API}/comments/{{comment_id}}/decision", post_decision)
    r.add_post(f"{API}/decisions", post_decisions)
    r.add_get(f"{API}/queue", get_queue_counts)
    r.add_get(f"{API}/queue/{{view}}", get_view)
    r.add_get(f"{API}/comments/{{comment_id}}", get_comment)
    r.add_get(f"{API}/events", get_events)
    r.add_post("/api/v1/comments/{comment_id}/reports", post_report)
    user_handlers.setup_routes(app)
    article_handlers.setup_routes(app)
    audit_handlers.setup_routes(app)
    policy_handlers.setup_routes(app)
