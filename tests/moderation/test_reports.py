"""Reader reports, the threshold that withholds a comment, and the reported view."""

from __future__ import annotations

import asyncio

import pytest

from tests.moderation.conftest import API, check_invariants, claim, decide
from tests.openapi_check import assert_conforms

REPORTS = "/api/v1/comments/{}/reports"


@pytest.fixture
async def post_client(make_client, settings):
    """A service under post-moderation: comments are public at once and queued unmoderated."""
    return await make_client(settings.replace(**{"comments.moderation_mode": "post"}))


async def published(client, reader, body="hello", article="a-1"):
    resp = await client.post(
        f"/api/v1/articles/{article}/comments", json={"body": body}, headers=reader.auth
    )
    assert resp.status == 201
    return await resp.json()


async def public_ids(client, article="a-1"):
    data = await (await client.get(f"/api/v1/articles/{article}/comments")).json()
    return [c["id"] for c in data["comments"]]


async def report(client, reader, cid, reason="abusive", details=""):
    return await client.post(
        REPORTS.format(cid), json={"reason": reason, "details": details}, headers=reader.auth
    )


async def test_threshold_withholds_and_queues_as_reported(
    post_client, make_reader, moderator, redis, settings
):
    client = post_client
    author = await make_reader("Author")
    c = await published(client, author)
    assert await public_ids(client) == [c["id"]]
    readers = [await make_reader(f"R{i}") for i in range(3)]
    for i, r in enumerate(readers[:2]):
        resp = await report(client, r, c["id"], details=f"rude {i}")
        assert resp.status == 201
        assert_conforms("POST", REPORTS.format(c["id"]), 201, await resp.json())
    assert await public_ids(client) == [c["id"]]
    # One report per reader: a repeat is answered with the first and counts nothing.
    again = await report(client, readers[0], c["id"], "spam")
    assert again.status == 200
    assert (await again.json())["reason"] == "abusive"
    assert await public_ids(client) == [c["id"]]
    assert (await report(client, readers[2], c["id"])).status == 201
    assert await public_ids(client) == []
    mine = await (await client.get("/api/v1/me/comments", headers=author.auth)).json()
    assert mine["comments"][0]["status"] == "withheld"

    data = await claim(client, moderator, "reported")
    [item] = data["claims"]
    assert item["comment"]["id"] == c["id"]
    assert item["comment"]["report_count"] == 3
    detail = await (await client.get(f"{API}/comments/{c['id']}", headers=moderator.auth)).json()
    assert [r["details"] for r in detail["reports"]] == ["rude 0", "rude 1", ""]
    assert [h["action"] for h in detail["history"]] == [
        "report",
        "report",
        "report",
        "withhold",
        "claim",
    ]
    assert detail["history"][3]["actor"] == "system"
    # Approving it clears it from both views and publishes it again.
    resp = await decide(client, moderator, c["id"], "approve")
    assert resp.status == 200
    assert await public_ids(client) == [c["id"]]
    states = await check_invariants(redis, settings.redis.key_prefix, [c["id"]])
    assert states[c["id"]] == "decided"
    counts = (await (await client.get(f"{API}/queue", headers=moderator.auth)).json())["views"]
    assert counts["reported"]["queued"] == counts["unmoderated"]["queued"] == 0


async def test_reports_after_a_decision_count_afresh(post_client, make_reader, admin):
    client = post_client
    c = await published(client, await make_reader("Author"))
    first = [await make_reader() for _ in range(3)]
    await asyncio.gather(*(report(client, r, c["id"]) for r in first))
    assert await public_ids(client) == []
    assert (await decide(client, admin, c["id"], "approve")).status == 200
    assert await public_ids(client) == [c["id"]]
    more = [await make_reader() for _ in range(2)]
    for r in more:
        await report(client, r, c["id"])
    assert await public_ids(client) == [c["id"]]
    await report(client, await make_reader(), c["id"])
    assert await public_ids(client) == []
    # A new review round: the earlier approval no longer stands in the way of a rejection.
    resp = await decide(client, admin, c["id"], "reject", "harassment")
    assert resp.status == 200
    assert (await resp.json())["status"] == "rejected"


async def test_concurrent_reports_withhold_once(post_client, make_reader, moderator):
    client = post_client
    c = await published(client, await make_reader("Author"))
    readers = [await make_reader() for _ in range(10)]
    statuses = await asyncio.gather(*(report(client, r, c["id"]) for r in readers))
    assert all(s.status == 201 for s in statuses)
    data = await claim(client, moderator, "reported")
    assert [i["comment"]["id"] for i in data["claims"]] == [c["id"]]
    assert data["claims"][0]["comment"]["report_count"] == 10


async def test_only_published_comments_can_be_reported(client, make_reader):
    author, other = await make_reader("Author"), await make_reader()
    pending = await published(client, author)  # pre-moderation: not public
    resp = await report(client, other, pending["id"])
    assert resp.status == 404
    assert (await report(client, other, "0" * 28)).status == 404


async def test_reports_need_a_reader_and_a_valid_body(post_client, make_reader, moderator):
    client = post_client
    c = await published(client, await make_reader("Author"))
    resp = await client.post(REPORTS.format(c["id"]), json={"reason": "abusive"})
    assert resp.status == 401
    # A moderator token is not a reader.
    resp = await client.post(
        REPORTS.format(c["id"]), json={"reason": "abusive"}, headers=moderator.auth
    )
    assert resp.status == 401
    r = await make_reader()
    resp = await report(client, r, c["id"], reason="boring")
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["field"] == "reason"
    resp = await report(client, r, c["id"], details="x" * 501)
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["field"] == "details"


async def test_rejecting_a_post_moderated_comment_unpublishes_it(
    post_client, make_reader, moderator
):
    client = post_client
    c = await published(client, await make_reader("Author"))
    data = await claim(client, moderator, "unmoderated")
    assert [i["comment"]["id"] for i in data["claims"]] == [c["id"]]
    assert (await decide(client, moderator, c["id"], "reject", "spam")).status == 200
    assert await public_ids(client) == []
