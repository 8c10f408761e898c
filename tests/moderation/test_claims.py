"""Claims, leases and redelivery through the HTTP API against real Redis."""

from __future__ import annotations

import asyncio

from tests.moderation.conftest import API, check_invariants, claim, decide
from tests.openapi_check import assert_conforms


async def test_claim_hands_out_oldest_first_with_a_lease(client, moderator, post_comments):
    posted = await post_comments(12)
    data = await claim(client, moderator, count=5)
    assert_conforms("POST", f"{API}/claims", 200, data)
    ids = [c["comment"]["id"] for c in data["claims"]]
    assert ids == [p["id"] for p in posted[:5]]
    first = data["claims"][0]
    assert first["comment"]["lease"]["moderator_id"] == moderator.id
    assert first["comment"]["status"] == "pending"
    assert first["lease_until"].endswith("Z")
    assert data["lease_seconds"] == 300.0


async def test_oldest_first_holds_when_the_oldest_crowd_into_one_shard(
    client, make_moderator, post_comments
):
    """A claim asks each shard for a few entries first, then more only from shards that may
    hold older ones: the oldest still come first however they are spread."""
    from service.store.keys import shard_of

    assert shard_of("crowded-0") != shard_of("other-0") != shard_of("other-1")
    crowded = await post_comments(25, articles=1, prefix="crowded")  # one shard
    spread = await post_comments(10, articles=2, prefix="other")
    mod = await make_moderator()
    ids = [c["comment"]["id"] for c in (await claim(client, mod, count=20))["claims"]]
    assert ids == [p["id"] for p in crowded[:20]]
    # The rest: five of the crowded shard, then the others, still oldest first.
    rest = [c["comment"]["id"] for c in (await claim(client, mod, count=50))["claims"]]
    assert rest == [p["id"] for p in crowded[20:] + spread]


async def test_approve_publishes_and_acknowledges(
    client, moderator, post_comments, redis, settings
):
    posted = await post_comments(3, articles=1)
    await claim(client, moderator, count=3)
    resp = await decide(client, moderator, posted[0]["id"], "approve")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["status"] == "approved"
    assert body["decision"]["action"] == "approve"
    assert body["decision"]["moderator_id"] == moderator.id
    public = await (await client.get("/api/v1/articles/art-0/comments")).json()
    assert [c["id"] for c in public["comments"]] == [posted[0]["id"]]
    states = await check_invariants(redis, settings.redis.key_prefix, [p["id"] for p in posted])
    assert states[posted[0]["id"]] == "decided"
    assert states[posted[1]["id"]] == f"claimed:{moderator.id}"


async def test_many_moderators_claiming_at_once_never_share(
    client, make_moderator, post_comments, redis, settings
):
    posted = await post_comments(60, articles=16)
    mods = [await make_moderator() for _ in range(12)]
    results = await asyncio.gather(*(claim(client, m, count=7) for m in mods))
    seen: dict[str, str] = {}
    for mod, data in zip(mods, results, strict=True):
        for c in data["claims"]:
            assert c["comment"]["id"] not in seen
            seen[c["comment"]["id"]] = mod.id
    assert len(seen) == 60  # 12 x 7 > 60: everything was handed out once
    states = await check_invariants(redis, settings.redis.key_prefix, [p["id"] for p in posted])
    assert states == {cid: f"claimed:{mid}" for cid, mid in seen.items()}


async def test_an_abandoned_claim_is_redelivered_after_the_lease(
    make_client, settings, make_moderator, reader, redis
):
    client = await make_client(settings.replace(**{"moderation.lease_seconds": 0.5}))
    resp = await client.post(
        "/api/v1/articles/x/comments", json={"body": "hi"}, headers=reader.auth
    )
    cid = (await resp.json())["id"]
    gone, other = await make_moderator(), await make_moderator()
    assert [c["comment"]["id"] for c in (await claim(client, gone))["claims"]] == [cid]
    assert (await claim(client, other))["claims"] == []
    await asyncio.sleep(0.6)
    again = await claim(client, other)
    assert [c["comment"]["id"] for c in again["claims"]] == [cid]
    states = await check_invariants(redis, settings.redis.key_prefix, [cid])
    assert states[cid] == f"claimed:{other.id}"
    # The one who left cannot decide over the new holder's live lease.
    resp = await decide(client, gone, cid)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "claimed_by_other"


async def test_extend_and_release(make_client, settings, make_moderator, reader):
    client = await make_client(settings.replace(**{"moderation.lease_seconds": 0.5}))
    resp = await client.post(
        "/api/v1/articles/x/comments", json={"body": "hi"}, headers=reader.auth
    )
    cid = (await resp.json())["id"]
    a, b = await make_moderator(), await make_moderator()
    await claim(client, a)
    for _ in range(3):
        await asyncio.sleep(0.3)
        resp = await client.post(f"{API}/claims/extend", json={"ids": [cid]}, headers=a.auth)
        assert_conforms("POST", f"{API}/claims/extend", 200, await resp.json())
        assert (await resp.json())["results"][0]["result"] == "ok"
        assert (await claim(client, b))["claims"] == []
    resp = await client.post(f"{API}/claims/extend", json={"ids": [cid]}, headers=b.auth)
    assert (await resp.json())["results"][0]["result"] == "not_holder"
    resp = await client.post(f"{API}/claims/release", json={"ids": [cid]}, headers=a.auth)
    assert (await resp.json())["results"][0] == {"id": cid, "result": "ok", "lease_until": None}
    assert [c["comment"]["id"] for c in (await claim(client, b))["claims"]] == [cid]


def test_the_claim_script_returns_the_moderation_fields_in_order():
    from pathlib import Path

    from service.moderation.model import MODERATION_FIELDS

    source = (Path(__file__).parents[2] / "service/store/lua/mod_claim.lua").read_text()
    listed = source.split("local fields = {", 1)[1].split("}", 1)[0]
    assert [f.strip().strip("'") for f in listed.split(",")] == list(MODERATION_FIELDS)


async def test_after_the_lease_expired_anyone_may_decide(
    make_client, settings, make_moderator, reader, redis
):
    client = await make_client(settings.replace(**{"moderation.lease_seconds": 0.3}))
    resp = await client.post(
        "/api/v1/articles/x/comments", json={"body": "hi"}, headers=reader.auth
    )
    cid = (await resp.json())["id"]
    holder, other = await make_moderator(), await make_moderator()
    await claim(client, holder)
    assert (await decide(client, other, cid)).status == 409
    await asyncio.sleep(0.4)
    resp = await decide(client, other, cid, "reject", "spam")
    assert resp.status == 200
    # The old holder's extension now finds nothing to extend.
    resp = await client.post(f"{API}/claims/extend", json={"ids": [cid]}, headers=holder.auth)
    assert (await resp.json())["results"][0]["result"] == "missing"
    states = await check_invariants(redis, settings.redis.key_prefix, [cid])
    assert states[cid] == "decided"
