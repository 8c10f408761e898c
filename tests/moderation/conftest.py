"""Moderators, queued comments and invariant checks for the moderation tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from redis.exceptions import ResponseError

from service.moderation.model import VIEWS
from service.moderation.moderators import Moderator, ModeratorStore
from service.moderation.queue import GROUP
from service.store.keys import SHARDS, Keys

API = "/api/v1/moderation"


@dataclass
class ModeratorHandle:
    moderator: Moderator
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> str:
        return self.moderator.id


@pytest.fixture
def make_moderator(redis, settings) -> Callable[..., Awaitable[ModeratorHandle]]:
    store = ModeratorStore(redis, Keys(settings.redis.key_prefix))
    counter = iter(range(10_000))

    async def make(name: str | None = None, role: str = "moderator") -> ModeratorHandle:
        moderator, token = await store.add(name or f"mod{next(counter)}", role)
        return ModeratorHandle(moderator, token)

    return make


@pytest.fixture
async def moderator(make_moderator) -> ModeratorHandle:
    return await make_moderator("alice")


@pytest.fixture
async def admin(make_moderator) -> ModeratorHandle:
    return await make_moderator("root", "admin")


@pytest.fixture
def post_comments(client, reader) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """Post `n` comments spread over `articles` articles (so over several shards)."""

    async def post(n: int, articles: int = 8, prefix: str = "art") -> list[dict[str, Any]]:
        out = []
        for i in range(n):
            resp = await client.post(
                f"/api/v1/articles/{prefix}-{i % articles}/comments",
                json={"body": f"comment {i}"},
                headers=reader.auth,
            )
            assert resp.status == 201, await resp.text()
            out.append(await resp.json())
        return out

    return post


async def claim(client, mod: ModeratorHandle, view: str = "pending", count: int = 20):
    resp = await client.post(f"{API}/claims", json={"view": view, "count": count}, headers=mod.auth)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def decide(
    client,
    mod: ModeratorHandle,
    cid: str,
    action: str = "approve",
    reason: str = "acceptable",
    note: str = "",
):
    return await client.post(
        f"{API}/comments/{cid}/decision",
        json={"action": action, "reason": reason, "note": note},
        headers=mod.auth,
    )


async def check_invariants(redis, prefix: str, comment_ids: list[str]) -> dict[str, str]:
    """Every comment is in exactly one state; returns id -> waiting | claimed:<mod> | decided.

    decided: a decision in the hash, no q:<view> field, no lease, and no stream entry or pending
    entry for it; claimed / waiting: no decision, each q:<view> entry present in its stream,
    pending for the lease holder when claimed (and only then with a live lease in the hash)."""
    keys = Keys(prefix)
    from service.comments.ids import shard_of_comment

    states: dict[str, str] = {}
    pending: dict[str, str] = {}  # entry id -> consumer
    entries: dict[str, str] = {}  # entry id -> comment id
    for shard in range(SHARDS):
        for view in VIEWS:
            q = keys.queue(shard, view)
            for eid, data in await redis.xrange(q):
                entries[eid.decode()] = data[b"c"].decode()
            try:
                rows = await redis.xpending_range(q, GROUP, "-", "+", 100_000)
            except ResponseError:  # no group yet: nothing was ever claimed here
                rows = []
            for p in rows:
                pending[p["message_id"].decode()] = p["consumer"].decode()
    for cid in comment_ids:
        shard = shard_of_comment(cid)
        data = {
            k.decode(): v.decode()
            for k, v in (await redis.hgetall(keys.comment(shard, cid))).items()
        }
        qfields = {k: v for k, v in data.items() if k.startswith("q:")}
        if data.get("d"):
            assert not qfields, (cid, data)
            assert "lh" not in data, (cid, data)
            assert cid not in entries.values(), cid
            assert data["s"] in {"approved", "rejected"}
            states[cid] = "decided"
            continue
        assert qfields, (cid, data)
        for eid in qfields.values():
            assert entries.get(eid) == cid, (cid, eid)
        if "lh" in data:
            eid = qfields["q:" + data["lv"]]
            assert pending.get(eid) == data["lh"], (cid, data, pending.get(eid))
            states[cid] = f"claimed:{data['lh']}"
        else:
            states[cid] = "waiting"
    return states
