"""Decisions: atomic, idempotent, one winner under races, nothing half-applied after a crash."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.appkeys import MODERATION
from tests.moderation.conftest import API, check_invariants, claim, decide
from tests.openapi_check import assert_conforms

DECISION = API + "/comments/{}/decision"


async def test_retried_decision_answers_the_same(client, moderator, post_comments):
    [c] = await post_comments(1)
    await claim(client, moderator)
    first = await decide(client, moderator, c["id"], "reject", "spam", "link farm")
    again = await decide(client, moderator, c["id"], "reject", "spam", "link farm")
    assert first.status == again.status == 200
    assert await first.json() == await again.json()
    assert (await first.json())["status"] == "rejected"
    assert_conforms("POST", DECISION.format(c["id"]), 200, await first.json())


async def test_opposite_decision_after_another_answers_409_with_the_state(
    client, make_moderator, post_comments
):
    [c] = await post_comments(1)
    a, b = await make_moderator(), await make_moderator()
    assert (await decide(client, a, c["id"], "approve")).status == 200
    resp = await decide(client, b, c["id"], "reject", "spam")
    assert resp.status == 409
    body = await resp.json()
    assert body["error"]["code"] == "already_decided"
    assert body["error"]["details"]["current"]["status"] == "approved"
    assert body["error"]["details"]["current"]["decision"]["moderator_id"] == a.id
    assert_conforms("POST", DECISION.format(c["id"]), 409, body)


async def test_racing_opposite_decisions_have_exactly_one_winner(
    client, admin, make_moderator, post_comments, redis, settings
):
    posted = await post_comments(10)
    other = await make_moderator(role="admin")
    for c in posted:
        results = await asyncio.gather(
            decide(client, admin, c["id"], "approve"),
            decide(client, other, c["id"], "reject", "spam"),
        )
        statuses = sorted(r.status for r in results)
        assert statuses == [200, 409]
        winner = next(r for r in results if r.status == 200)
        action = (await winner.json())["decision"]["action"]
        public = await (await client.get(f"/api/v1/articles/{c['article_id']}/comments")).json()
        assert (c["id"] in [p["id"] for p in public["comments"]]) == (action == "approve")
    states = await check_invariants(redis, settings.redis.key_prefix, [c["id"] for c in posted])
    assert set(states.values()) == {"decided"}


async def test_a_non_holder_waits_for_the_lease_but_an_admin_does_not(
    client, make_moderator, admin, post_comments
):
    posted = await post_comments(2, articles=1)
    holder, other = await make_moderator(), await make_moderator()
    await claim(client, holder, count=2)
    resp = await decide(client, other, posted[0]["id"])
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "claimed_by_other"
    assert (await decide(client, admin, posted[0]["id"], "reject", "spam")).status == 200
    assert (await decide(client, holder, posted[1]["id"])).status == 200


async def test_reason_codes_are_validated(client, moderator, post_comments):
    [c] = await post_comments(1)
    resp = await decide(client, moderator, c["id"], "reject", "because")
    assert resp.status == 400
    body = await resp.json()
    assert body["error"]["details"]["field"] == "reason"
    resp = await client.post(
        DECISION.format(c["id"]), json={"action": "maybe", "reason": "spam"}, headers=moderator.auth
    )
    assert (await resp.json())["error"]["details"]["field"] == "action"
    resp = await decide(client, moderator, "0" * 28)
    assert resp.status == 404
    resp = await decide(client, moderator, "not-an-id")
    assert resp.status == 404


async def test_bulk_decisions(client, moderator, make_moderator, post_comments, redis, settings):
    posted = await post_comments(6, articles=3)
    ids = [c["id"] for c in posted]
    holder = await make_moderator()
    await claim(client, holder, count=1)  # the oldest is someone else's
    assert (await decide(client, moderator, ids[1], "approve")).status == 200
    resp = await client.post(
        f"{API}/decisions",
        json={"ids": [*ids, "0" * 28], "action": "reject", "reason": "spam"},
        headers=moderator.auth,
    )
    assert resp.status == 200
    results = {r["id"]: r for r in (await resp.json())["results"]}
    assert results[ids[0]]["outcome"] == "claimed"
    assert results[ids[1]]["outcome"] == "conflict"
    assert results[ids[1]]["status"] == "approved"
    assert all(results[i]["outcome"] == "applied" for i in ids[2:])
    assert results["0" * 28]["outcome"] == "missing"
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert states[ids[0]] == f"claimed:{holder.id}"
    assert all(states[i] == "decided" for i in ids[1:])


async def test_a_cancelled_decision_is_all_or_nothing(
    client, moderator, post_comments, redis, settings
):
    """Cancel decisions at many points around the script call, then check every comment is in
    exactly one state and that decided ones are public exactly when approved."""
    posted = await post_comments(40, articles=4)
    ids = [c["id"] for c in posted]
    queue = client.server.app[MODERATION]
    from service.moderation.moderators import Moderator

    mod = Moderator(moderator.id, "alice", "moderator", 0)
    for i, cid in enumerate(ids):
        task = asyncio.create_task(queue.decide(mod, cid, "approve", "acceptable"))
        for _ in range(i % 5):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await asyncio.sleep(0.2)  # calls already sent finish regardless
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert set(states.values()) <= {"waiting", "decided"}
    for c in posted:
        public = await (await client.get(f"/api/v1/articles/{c['article_id']}/comments")).json()
        assert (c["id"] in [p["id"] for p in public["comments"]]) == (states[c["id"]] == "decided")
    # Whatever was left waiting can still be claimed and decided.
    data = await claim(client, moderator, count=40)
    left = [cid for cid, s in states.items() if s == "waiting"]
    assert sorted(c["comment"]["id"] for c in data["claims"]) == sorted(left)


async def test_a_dropped_connection_mid_decision_leaves_no_half_decision(
    client, moderator, post_comments, redis, settings
):
    """Kill the service's Redis connections while decisions are in flight."""
    posted = await post_comments(30, articles=5)
    ids = [c["id"] for c in posted]

    async def killer() -> None:
        for _ in range(5):
            await asyncio.sleep(0.005)
            clients = await redis.client_list()
            for info in clients:
                if info.get("cmd") in {"evalsha", "eval"}:
                    await redis.client_kill_filter(_id=info["id"])

    async def one(cid: str) -> int:
        try:
            return (await decide(client, moderator, cid)).status
        except Exception:
            return -1

    statuses = await asyncio.gather(killer(), *(one(cid) for cid in ids))
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    for cid, status in zip(ids, statuses[1:], strict=True):
        if status == 200:
            assert states[cid] == "decided"
    # A retry finishes what was interrupted, idempotently.
    for cid in ids:
        assert (await decide(client, moderator, cid)).status == 200
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert set(states.values()) == {"decided"}


@hsettings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["claim", "approve", "reject", "release", "extend"]),
            st.integers(0, 2),  # which moderator
            st.integers(0, 5),  # which comment
        ),
        min_size=1,
        max_size=25,
    )
)
async def test_any_order_of_claims_and_decisions_keeps_one_state_per_comment(
    client, make_moderator, post_comments, redis, settings, steps
):
    posted = await post_comments(6, articles=3)
    ids = [c["id"] for c in posted]
    mods = [await make_moderator() for _ in range(3)]
    decided: dict[str, str] = {}
    for op, m, c in steps:
        mod, cid = mods[m], ids[c]
        if op == "claim":
            await claim(client, mod, count=2)
        elif op in {"approve", "reject"}:
            resp = await decide(client, mod, cid, op, "spam")
            if resp.status == 200:
                decided.setdefault(cid, op)
                assert decided[cid] == op
            else:
                assert resp.status == 409
        else:
            resp = await client.post(f"{API}/claims/{op}", json={"ids": [cid]}, headers=mod.auth)
            assert resp.status == 200
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert {cid for cid, s in states.items() if s == "decided"} == set(decided)
