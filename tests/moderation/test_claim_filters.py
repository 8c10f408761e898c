"""Claims filtered by article and by the rule that fired, against real Redis: they take only
matching waiting comments, oldest first, and share the one-holder guarantee, the leases and the
redelivery of unfiltered claims."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.moderation.conftest import API, check_invariants, claim, decide
from tests.openapi_check import assert_conforms


def link_body(i: int) -> str:
    return f"read this https://elsewhere.example/{i} please"


async def post(client, reader, article: str, body: str) -> dict[str, Any]:
    resp = await client.post(
        f"/api/v1/articles/{article}/comments", json={"body": body}, headers=reader.auth
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def post_many(client, reader, n: int, *, links_every: int, articles: int) -> list[dict]:
    """`n` comments over `articles` articles (art-0, art-1, …); every `links_every`-th, from
    the first, has a link (so the links rule holds it)."""
    posted = []
    for i in range(n):
        body = link_body(i) if i % links_every == 0 else f"comment {i}"
        posted.append(await post(client, reader, f"art-{i % articles}", body))
    return posted


async def claim_where(client, mod, count: int = 20, view: str = "pending", **only: str):
    resp = await client.post(
        f"{API}/claims", json={"view": view, "count": count, **only}, headers=mod.auth
    )
    assert resp.status == 200, await resp.text()
    data = await resp.json()
    assert_conforms("POST", f"{API}/claims", 200, data)
    return [c["comment"] for c in data["claims"]]


async def test_filtered_claims_take_only_matches_oldest_first(
    client, reader, make_moderator, redis, settings
):
    posted = await post_many(client, reader, 24, links_every=3, articles=4)
    ids = [p["id"] for p in posted]
    linked = [cid for i, cid in enumerate(ids) if i % 3 == 0]
    a, b, c, d = [await make_moderator() for _ in range(4)]

    by_a = [x["id"] for x in await claim_where(client, a, count=3, article="art-1")]
    assert by_a == [p["id"] for p in posted if p["article_id"] == "art-1"][:3]

    got = await claim_where(client, b, count=5, rule="links")
    assert all(any(h["rule_id"] == "links" for h in x["hits"]) for x in got)
    assert all(x["lease"]["moderator_id"] == b.id for x in got)
    by_b = [x["id"] for x in got]
    assert by_b == [cid for cid in linked if cid not in by_a][:5]  # 0, 3, 6, 12, 15

    # Both filters: art-2 has comments 2, 6, 10, 14, 18, 22, links are on every third; b
    # took 6, so 18 is the only match left.
    by_c = [x["id"] for x in await claim_where(client, c, article="art-2", rule="links")]
    assert by_c == [ids[18]]

    # An unfiltered claim gets exactly what the filtered ones left, oldest first, though the
    # group never delivered the entries they took.
    taken = set(by_a) | set(by_b) | set(by_c)
    rest = [x["id"] for x in await claim_where(client, d, count=100)]
    assert rest == [cid for cid in ids if cid not in taken]
    assert len(rest) == 24 - 9
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert Counter(states.values()) == {
        f"claimed:{a.id}": 3,
        f"claimed:{b.id}": 5,
        f"claimed:{c.id}": 1,
        f"claimed:{d.id}": 15,
    }

    # Nothing is left for anyone, filtered or not.
    e = await make_moderator()
    assert await claim_where(client, e, rule="links") == []
    assert await claim_where(client, e, article="art-1") == []
    assert await claim_where(client, e) == []


async def test_concurrent_filtered_and_unfiltered_claims_never_share(
    client, reader, make_moderator, redis, settings
):
    posted = await post_many(client, reader, 72, links_every=2, articles=6)
    ids = [p["id"] for p in posted]
    mods = [await make_moderator() for _ in range(18)]
    filters: list[dict[str, str]] = [
        {},
        {"rule": "links"},
        {"article": "art-1"},
        {"article": "art-2", "rule": "links"},
        {"article": "art-3"},
        {"rule": "links", "article": "art-4"},
    ]
    seen: dict[str, str] = {}
    for _ in range(4):  # rounds, so that late claims meet entries the group re-delivers
        results = await asyncio.gather(
            *(
                claim_where(client, m, count=3, **filters[i % len(filters)])
                for i, m in enumerate(mods)
            )
        )
        for i, (mod, got) in enumerate(zip(mods, results, strict=True)):
            only = filters[i % len(filters)]
            for x in got:
                assert x["id"] not in seen, (x["id"], seen[x["id"]], mod.id)
                seen[x["id"]] = mod.id
                if "article" in only:
                    assert x["article_id"] == only["article"]
                if "rule" in only:
                    assert any(h["rule_id"] == only["rule"] for h in x["hits"])
    assert len(seen) == 72  # 4 x 18 x 3 > 72, and unfiltered claims take anything
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert states == {cid: f"claimed:{mid}" for cid, mid in seen.items()}


async def test_a_filtered_claim_whose_lease_expires_is_redelivered(
    make_client, settings, make_moderator, reader, redis
):
    client = await make_client(settings.replace(**{"moderation.lease_seconds": 0.5}))
    first = await post(client, reader, "x", "first on x")
    other = await post(client, reader, "y", "first on y")
    gone, b, c, d = [await make_moderator() for _ in range(4)]
    assert [x["id"] for x in await claim_where(client, gone, article="x")] == [first["id"]]
    assert await claim_where(client, b, article="x") == []
    # The group delivers both entries to b; the one under gone's lease stays with gone.
    assert [x["id"] for x in await claim_where(client, b)] == [other["id"]]
    states = await check_invariants(redis, settings.redis.key_prefix, [first["id"]])
    assert states[first["id"]] == f"claimed:{gone.id}"

    await asyncio.sleep(0.6)
    assert [x["id"] for x in await claim_where(client, c, article="x")] == [first["id"]]
    assert (await decide(client, gone, first["id"])).status == 409
    await asyncio.sleep(0.6)
    # Through the group this time (b's lease ran out as well): the pending entries ran idle
    # for a lease.
    again = [x["id"] for x in await claim_where(client, d)]
    assert again == [first["id"], other["id"]]
    states = await check_invariants(redis, settings.redis.key_prefix, again)
    assert states == {first["id"]: f"claimed:{d.id}", other["id"]: f"claimed:{d.id}"}


async def test_decide_extend_and_release_filtered_claims(
    make_client, settings, make_moderator, reader, redis
):
    client = await make_client(settings.replace(**{"moderation.lease_seconds": 0.5}))
    kept = await post(client, reader, "x", link_body(1))
    decided = await post(client, reader, "x", link_body(2))
    a, b = await make_moderator(), await make_moderator()
    got = await claim_where(client, a, rule="links", article="x")
    assert [x["id"] for x in got] == [kept["id"], decided["id"]]

    resp = await decide(client, b, decided["id"])
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "claimed_by_other"
    resp = await decide(client, a, decided["id"], "reject", "spam")
    assert resp.status == 200, await resp.text()

    for _ in range(3):
        await asyncio.sleep(0.3)
        resp = await client.post(f"{API}/claims/extend", json={"ids": [kept["id"]]}, headers=a.auth)
        assert (await resp.json())["results"][0]["result"] == "ok"
        assert await claim_where(client, b, rule="links") == []
        assert (await claim(client, b))["claims"] == []
    resp = await client.post(f"{API}/claims/release", json={"ids": [kept["id"]]}, headers=a.auth)
    assert (await resp.json())["results"][0] == {
        "id": kept["id"],
        "result": "ok",
        "lease_until": None,
    }
    assert [x["id"] for x in await claim_where(client, b, article="x")] == [kept["id"]]
    resp = await decide(client, b, kept["id"])
    assert resp.status == 200, await resp.text()
    states = await check_invariants(redis, settings.redis.key_prefix, [kept["id"], decided["id"]])
    assert states == {kept["id"]: "decided", decided["id"]: "decided"}
    assert await claim_where(client, b) == []


async def test_invalid_filters_are_refused(client, moderator):
    for only, field in (
        ({"article": "../etc"}, "article"),
        ({"article": ""}, "article"),
        ({"article": 7}, "article"),
        ({"rule": "No Such Rule"}, "rule"),
        ({"rule": ["links"]}, "rule"),
    ):
        resp = await client.post(
            f"{API}/claims", json={"view": "pending", **only}, headers=moderator.auth
        )
        assert resp.status == 400, only
        body = await resp.json()
        assert body["error"]["code"] == "invalid_request"
        assert body["error"]["details"]["field"] == field
        assert set(body["error"]) == {"code", "message", "details"}
        assert_conforms("POST", f"{API}/claims", 400, body)


async def test_a_filtered_claim_reads_at_most_the_scan_budget(
    make_client, settings, make_moderator, reader
):
    client = await make_client(settings.replace(**{"moderation.claim_scan_entries": 5}))
    for i in range(5):
        await post(client, reader, "x", f"comment {i}")
    late = await post(client, reader, "x", link_body(0))
    mod = await make_moderator()
    # The match is the sixth entry of the shard's stream: beyond what one claim reads.
    assert await claim_where(client, mod, rule="links") == []
    assert len(await claim_where(client, mod, count=2, article="x")) == 2
    # Entries held by a live lease still count as read; decided ones are gone from the stream.
    assert await claim_where(client, mod, rule="links") == []
    held = await claim_where(client, mod, count=3, article="x")
    for x in held:
        assert (await decide(client, mod, x["id"])).status == 200
    assert [x["id"] for x in await claim_where(client, mod, rule="links")] == [late["id"]]
