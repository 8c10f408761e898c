"""The audit trail and figures for moderators: queries, a JSON-lines export, stats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

import orjson
from aiohttp import web

from ..appkeys import MODERATION
from ..comments.ids import COMMENT_ID
from ..errors import InvalidRequest
from ..http.body import json_response, query_int
from ..http.security import SECURITY_HEADERS
from . import audit
from .sanctions import USER_ID
from .stats import stats
from .web import require_moderator

API = "/api/v1/moderation"
T = TypeVar("T")


def _since(request: web.Request) -> int:
    raw = request.query.get("since", "")
    if not raw:
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise InvalidRequest("since is milliseconds since the epoch.", field="since")
    return int(raw)


async def get_audit(request: web.Request) -> web.Response:
    """Exactly one of comment, user or moderator; oldest first from `since`."""
    await require_moderator(request)
    queue = request.app[MODERATION]
    limit = query_int(request, "limit", 100, 1, 1000)
    given = [k for k in ("comment", "user", "moderator") if request.query.get(k)]
    if len(given) != 1:
        raise InvalidRequest("Give exactly one of comment, user or moderator.", field="query")
    since = _since(request)
    entries: list[dict[str, Any]] = []
    if given[0] == "comment":
        cid = request.query["comment"]
        if not COMMENT_ID.match(cid):
            raise InvalidRequest("Not a comment id.", field="comment")
        entries = await audit.comment_history(queue.redis, queue.keys, cid)
    elif given[0] == "user":
        uid = request.query["user"]
        if not USER_ID.match(uid):
            raise InvalidRequest("Not a user id.", field="user")
        about = [
            e
            async for e in _take(
                audit.scan(queue.redis, queue.keys, user_id=uid, since_ms=since), limit
            )
        ]
        sanctions = await audit.user_history(queue.redis, queue.keys, uid)
        entries = sorted([*about, *sanctions], key=lambda e: _order(str(e["id"])))
    else:
        actor = f"m:{request.query['moderator']}"
        entries = [
            e
            async for e in _take(
                audit.scan(queue.redis, queue.keys, actor=actor, since_ms=since), limit
            )
        ]
    return json_response({"entries": entries[:limit]})


async def export_audit(request: web.Request) -> web.StreamResponse:
    """Every shard's audit entries from `since`, oldest first, as JSON lines (admins)."""
    await require_moderator(request, admin=True)
    queue = request.app[MODERATION]
    since = _since(request)  # before the 200 is sent: a bad value still gets its 400
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/x-ndjson",
            "Cache-Control": "no-store",
            **SECURITY_HEADERS,
        }
    )
    await response.prepare(request)
    chunk: list[bytes] = []
    async for entry in audit.scan(queue.redis, queue.keys, since_ms=since):
        chunk.append(orjson.dumps(entry) + b"\n")
        if len(chunk) >= 500:
            await response.write(b"".join(chunk))
            chunk = []
    if chunk:
        await response.write(b"".join(chunk))
    await response.write_eof()
    return response


async def get_stats(request: web.Request) -> web.Response:
    await require_moderator(request)
    hours = query_int(request, "window_hours", 24, 1, 24 * 31)
    return json_response(await stats(request.app[MODERATION], hours))


async def _take(source: AsyncIterator[T], limit: int) -> AsyncIterator[T]:
    n = 0
    async for item in source:
        yield item
        n += 1
        if n >= limit:
            return


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def setup_routes(app: web.Application) -> None:
    app.router.add_get(f"{API}/audit", get_audit)
    app.router.add_get(f"{API}/audit/export", export_audit)
    app.router.add_get(f"{API}/stats", get_stats)
