"""User sanctions through the API: effective at once for live sessions, audited, optionally
rejecting the user's waiting comments; and a user's history."""

from __future__ import annotations

from tests.moderation.conftest import API, check_invariants, claim, decide
from tests.openapi_check import assert_conforms

USERS = API + "/users/{}"


async def sanction(client, mod, user_id, action, reason="harassment", **extra):
    return await client.post(
        USERS.format(user_id) + "/sanctions",
        json={"action": action, "reason": reason, **extra},
        headers=mod.auth,
    )


async def post(client, reader, body="hi"):
    return await client.post(
        "/api/v1/articles/a-1/comments", json={"body": body}, headers=reader.auth
    )


async def test_ban_holds_at_once_for_a_live_session_and_lift_undoes_it(
    client, make_reader, moderator
):
    r = await make_reader("Troll")
    assert (await post(client, r)).status == 201
    resp = await sanction(client, moderator, r.user.id, "ban", note="repeated abuse")
    assert resp.status == 200
    body = await resp.json()
    assert_conforms("POST", USERS.format(r.user.id) + "/sanctions", 200, body)
    assert body["user"]["status"] == "banned"
    assert body["rejected"] == []
    resp = await post(client, r)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "user_banned"
    assert (await sanction(client, moderator, r.user.id, "lift", "other")).status == 200
    assert (await post(client, r)).status == 201
    history = await (await client.get(USERS.format(r.user.id), headers=moderator.auth)).json()
    assert_conforms("GET", USERS.format(r.user.id), 200, history)
    assert [s["action"] for s in history["sanctions"]] == ["ban", "lift"]
    assert history["sanctions"][0]["actor"] == f"m:{moderator.id}"
    assert history["sanctions"][0]["note"] == "repeated abuse"
    assert len(history["comments"]) == 2


async def test_suspension_needs_a_duration_and_ends(client, make_reader, moderator):
    r = await make_reader()
    resp = await sanction(client, moderator, r.user.id, "suspend")
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["field"] == "duration_seconds"
    resp = await sanction(client, moderator, r.user.id, "ban", duration_seconds=600)
    assert resp.status == 400
    resp = await sanction(client, moderator, r.user.id, "suspend", duration_seconds=3600)
    assert resp.status == 200
    assert (await resp.json())["user"]["status_until"].endswith("Z")
    resp = await post(client, r)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "user_suspended"


async def test_reject_waiting_rejects_pending_comments_even_claimed_ones(
    client, make_reader, make_moderator, moderator, redis, settings
):
    r = await make_reader()
    ids = [(await (await post(client, r, f"c{i}")).json())["id"] for i in range(4)]
    other = await make_moderator()
    await claim(client, other, count=1)  # someone holds the oldest
    assert (await decide(client, moderator, ids[1], "approve")).status == 200
    resp = await sanction(client, moderator, r.user.id, "premoderate", "spam", reject_waiting=True)
    assert resp.status == 200
    body = await resp.json()
    assert body["user"]["status"] == "premoderated"
    assert sorted(body["rejected"]) == sorted([ids[0], ids[2], ids[3]])
    states = await check_invariants(redis, settings.redis.key_prefix, ids)
    assert set(states.values()) == {"decided"}
    history = await (await client.get(USERS.format(r.user.id), headers=moderator.auth)).json()
    decisions = {d["comment_id"]: d["action"] for d in history["decisions"]}
    assert decisions == {ids[0]: "reject", ids[1]: "approve", ids[2]: "reject", ids[3]: "reject"}


async def test_bad_sanctions_are_refused(client, moderator, reader):
    assert (await sanction(client, moderator, "0" * 16, "ban")).status == 404
    assert (await sanction(client, moderator, "nope", "ban")).status == 404
    resp = await sanction(client, moderator, reader.user.id, "exile")
    assert (await resp.json())["error"]["details"]["field"] == "action"
    resp = await sanction(client, moderator, reader.user.id, "ban", "because")
    assert (await resp.json())["error"]["details"]["field"] == "reason"
    resp = await client.post(
        USERS.format(reader.user.id) + "/sanctions",
        json={"action": "ban", "reason": "spam"},
        headers=reader.auth,
    )
    assert resp.status == 401
    assert (await client.get(USERS.format("0" * 16), headers=moderator.auth)).status == 404
