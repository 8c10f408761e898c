"""Live updates over server-sent events."""

from __future__ import annotations

import asyncio

import orjson

from tests.moderation.conftest import API, claim, decide


async def read_events(resp, wanted: set[str], seconds: float = 5.0) -> dict[str, dict]:
    """Events by type until every wanted type was seen."""
    seen: dict[str, dict] = {}
    event = None

    async def loop() -> None:
        nonlocal event
        while not wanted <= seen.keys():
            line = (await resp.content.readline()).decode().rstrip("\r\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                seen.setdefault(event, orjson.loads(line[6:]))

    await asyncio.wait_for(loop(), seconds)
    return seen


async def test_consoles_hear_counts_claims_and_decisions(
    make_client, settings, moderator, make_moderator, reader
):
    client = await make_client(settings.replace(**{"moderation.events_interval": 0.1}))
    other = await make_moderator()
    resp = await client.get(f"{API}/events", headers=moderator.auth)
    assert resp.status == 200
    assert resp.content_type == "text/event-stream"
    first = await read_events(resp, {"counts"})
    assert first["counts"]["views"]["pending"] == {"queued": 0, "in_claims": 0}

    posted = await client.post(
        "/api/v1/articles/a-1/comments", json={"body": "hello"}, headers=reader.auth
    )
    cid = (await posted.json())["id"]
    counts = await read_events(resp, {"counts"})
    assert counts["counts"]["views"]["pending"]["queued"] == 1

    await claim(client, other)
    await decide(client, other, cid, "reject", "spam")
    events = await read_events(resp, {"claimed", "decided"})
    assert events["claimed"]["comment_ids"] == [cid]
    assert events["claimed"]["moderator_id"] == other.id
    assert events["decided"] == {
        "type": "decided",
        "comment_id": cid,
        "action": "reject",
        "moderator_id": other.id,
        "article_id": "a-1",
    }
    resp.close()


async def test_consoles_hear_new_work_with_its_rules_and_without_its_body(
    client, moderator, reader
):
    resp = await client.get(f"{API}/events", headers=moderator.auth)
    assert resp.status == 200
    await read_events(resp, {"counts"})

    # Refused at intake: never queued, so nothing is heard of it.
    refused = await client.post(
        "/api/v1/articles/a-1/comments",
        json={"body": "write to me at kim@mail.example"},
        headers=reader.auth,
    )
    assert refused.status == 422
    body = "see https://elsewhere.example/page for more"
    posted = await client.post(
        "/api/v1/articles/a-1/comments", json={"body": body}, headers=reader.auth
    )
    assert posted.status == 201
    cid = (await posted.json())["id"]
    heard = (await read_events(resp, {"queued"}))["queued"]
    assert heard == {
        "type": "queued",
        "comment_id": cid,
        "view": "pending",
        "article_id": "a-1",
        "rule_ids": ["links"],
    }

    # Under post-moderation the comment is published at once and queued as unmoderated.
    mode = await client.post(f"{API}/articles/a-2", json={"mode": "post"}, headers=moderator.auth)
    assert mode.status == 200, await mode.text()
    posted = await client.post(
        "/api/v1/articles/a-2/comments", json={"body": "a fine remark"}, headers=reader.auth
    )
    assert posted.status == 201
    heard = (await read_events(resp, {"queued"}))["queued"]
    assert heard == {
        "type": "queued",
        "comment_id": (await posted.json())["id"],
        "view": "unmoderated",
        "article_id": "a-2",
        "rule_ids": [],
    }
    resp.close()


async def test_events_need_a_moderator(client, reader):
    assert (await client.get(f"{API}/events")).status == 401
    assert (await client.get(f"{API}/events", headers=reader.auth)).status == 401
