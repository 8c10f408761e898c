"""Reading the audit trail: per comment (its own log), and across shards by moderator, user or
time, merged by stream id (which is time-ordered)."""

from __future__ import annotations

import heapq
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..comments.ids import shard_of_comment
from ..comments.model import iso
from ..store.client import Redis, decode
from ..store.keys import SHARDS, Keys


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def shape(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """One audit entry as the API shows it."""
    out: dict[str, Any] = {"id": entry_id, "at": iso(_entry_ms(entry_id))}
    names = {
        "act": "action",
        "by": "actor",
        "c": "comment_id",
        "a": "article_id",
        "u": "user_id",
        "why": "reason",
        "note": "note",
        "view": "view",
        "until": "until",
        "wait": "wait_ms",
    }
    for short, value in fields.items():
        name = names.get(short, short)
        if name == "rules":
            out[name] = value.split(",") if value else []
        elif name == "until":
            out[name] = iso(int(value)) if value and value != "0" else None
        elif name == "wait_ms":
            out[name] = int(value)
        elif value != "":
            out[name] = value
    return out


async def comment_history(redis: Redis, keys: Keys, comment_id: str) -> list[dict[str, Any]]:
    shard = shard_of_comment(comment_id)
    if shard is None:
        return []
    rows = await redis.lrange(keys.comment_log(shard, comment_id), 0, -1)
    out = []
    for raw in rows:
        data = orjson.loads(raw)
        entry_id = str(data.pop("id"))
        out.append(shape(entry_id, {k: str(v) for k, v in data.items()}))
    return out


async def user_history(redis: Redis, keys: Keys, user_id: str) -> list[dict[str, Any]]:
    """Sanctions (and their lifting) of one reader, oldest first."""
    rows: Any = await redis.xrange(keys.user_audit(user_id))
    return [shape(decode(eid), _decode_fields(data)) for eid, data in rows]


def _decode_fields(data: dict[Any, Any]) -> dict[str, str]:
    return {decode(k): decode(v) for k, v in data.items()}


async def scan(
    redis: Redis,
    keys: Keys,
    *,
    actor: str | None = None,
    user_id: str | None = None,
    since_ms: int = 0,
    batch: int = 500,
) -> AsyncIterator[dict[str, Any]]:
    """Every shard's audit entries from `since_ms` on, oldest first, optionally only one actor's
    (`m:<moderator id>`, `u:<user id>`, `system`) or about one user's comments."""
    cursors = [f"{since_ms}-0" if since_ms else "-" for _ in range(SHARDS)]
    buffers: list[list[tuple[str, dict[str, str]]]] = [[] for _ in range(SHARDS)]
    done = [False] * SHARDS

    async def refill(shard: int) -> None:
        rows: Any = await redis.xrange(keys.audit(shard), min=cursors[shard], count=batch)
        entries = [(decode(eid), _decode_fields(data)) for eid, data in rows]
        if len(entries) < batch:
            done[shard] = True
        if entries:
            cursors[shard] = f"({entries[-1][0]}"
        buffers[shard] = entries

    heap: list[tuple[tuple[int, int], int]] = []
    for shard in range(SHARDS):
        await refill(shard)
        if buffers[shard]:
            heap.append((_order(buffers[shard][0][0]), shard))
    heapq.heapify(heap)
    while heap:
        _, shard = heapq.heappop(heap)
        entry_id, fields = buffers[shard].pop(0)
        if (actor is None or fields.get("by") == actor) and (
            user_id is None or fields.get("u") == user_id
        ):
            yield shape(entry_id, fields)
        if not buffers[shard] and not done[shard]:
            await refill(shard)
        if buffers[shard]:
            heapq.heappush(heap, (_order(buffers[shard][0][0]), shard))


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
