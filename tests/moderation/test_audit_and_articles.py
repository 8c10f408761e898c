"""Article controls, audit queries and export, and stats."""

from __future__ import annotations

import orjson

from service.appkeys import MODERATION
from service.moderation.articles import article_state, check_open
from tests.moderation.conftest import API, claim, decide
from tests.openapi_check import assert_conforms

ARTICLE = API + "/articles/{}"


async def test_close_reopen_and_mode_are_recorded(client, moderator, post_comments):
    await post_comments(2, articles=1)  # art-0
    resp = await client.get(ARTICLE.format("art-0"), headers=moderator.auth)
    state = await resp.json()
    assert_conforms("GET", ARTICLE.format("art-0"), 200, state)
    assert state["closed"] is False and state["open"] is True
    assert state["mode"] is None and state["effective_mode"] == "pre"
    assert state["comment_count"] == 2
    assert state["first_comment_at"].endswith("Z")
    assert state["closes_at"] is None

    resp = await client.post(
        ARTICLE.format("art-0"),
        json={"closed": True, "mode": "post", "reason": "legal_risk", "note": "court order"},
        headers=moderator.auth,
    )
    state = await resp.json()
    assert_conforms("POST", ARTICLE.format("art-0"), 200, state)
    assert state["closed"] is True and state["open"] is False
    assert state["effective_mode"] == "post"
    queue = client.server.app[MODERATION]
    st = await article_state(queue, "art-0")
    try:
        check_open(st, 0)
    except Exception as exc:
        assert getattr(exc, "code", "") == "comments_closed"
    else:
        raise AssertionError("a closed article must refuse comments")

    resp = await client.post(
        ARTICLE.format("art-0"), json={"closed": False, "mode": "site"}, headers=moderator.auth
    )
    state = await resp.json()
    assert state["open"] is True and state["mode"] is None

    resp = await client.get(
        f"{API}/audit", params={"moderator": moderator.id}, headers=moderator.auth
    )
    entries = (await resp.json())["entries"]
    assert_conforms("GET", f"{API}/audit", 200, await resp.json())
    assert [e["action"] for e in entries] == ["close", "mode", "reopen", "mode"]
    assert entries[0]["reason"] == "legal_risk"
    assert entries[0]["note"] == "court order"
    assert entries[0]["article_id"] == "art-0"


async def test_auto_close_after_days(client, post_comments):
    await post_comments(1, articles=1)
    st = await article_state(client.server.app[MODERATION], "art-0")
    assert st.is_open(auto_close_days=2)
    assert not st.is_open(auto_close_days=2, now_ms=st.first_comment_at + 2 * 86_400_000)
    assert st.is_open(auto_close_days=0, now_ms=st.first_comment_at + 400 * 86_400_000)


async def test_article_controls_validate(client, moderator):
    resp = await client.post(
        ARTICLE.format("a-1"), json={"mode": "sometimes"}, headers=moderator.auth
    )
    assert resp.status == 400
    resp = await client.post(ARTICLE.format("a-1"), json={"closed": "yes"}, headers=moderator.auth)
    assert resp.status == 400
    assert (await client.get(ARTICLE.format("a-1"))).status == 401


async def test_audit_by_comment_user_and_moderator_and_export(
    client, moderator, admin, reader, post_comments
):
    posted = await post_comments(3)
    await claim(client, moderator, count=3)
    for c in posted:
        await decide(client, moderator, c["id"], "reject", "spam")
    resp = await client.get(
        f"{API}/audit", params={"comment": posted[0]["id"]}, headers=moderator.auth
    )
    assert [e["action"] for e in (await resp.json())["entries"]] == ["claim", "reject"]
    resp = await client.get(f"{API}/audit", params={"user": reader.user.id}, headers=moderator.auth)
    entries = (await resp.json())["entries"]
    assert len(entries) == 6 and all(e["user_id"] == reader.user.id for e in entries)
    resp = await client.get(
        f"{API}/audit", params={"moderator": moderator.id, "limit": "2"}, headers=moderator.auth
    )
    assert len((await resp.json())["entries"]) == 2
    assert (await client.get(f"{API}/audit", headers=moderator.auth)).status == 400

    assert (await client.get(f"{API}/audit/export", headers=moderator.auth)).status == 403
    resp = await client.get(f"{API}/audit/export", headers=admin.auth)
    assert resp.status == 200
    assert resp.content_type == "application/x-ndjson"
    lines = [orjson.loads(line) for line in (await resp.read()).splitlines()]
    assert len(lines) == 6
    ids = [e["id"] for e in lines]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))


async def test_stats(client, moderator, post_comments, redis, settings):
    posted = await post_comments(4)
    # Pretend a rule fired on two of them.
    from service.comments.ids import shard_of_comment
    from service.store.keys import Keys

    keys = Keys(settings.redis.key_prefix)
    hit = orjson.dumps([{"rule_id": "links", "kind": "link", "action": "hold"}]).decode()
    for c in posted[:2]:
        await redis.hset(keys.comment(shard_of_comment(c["id"]), c["id"]), "h", hit)
    await decide(client, moderator, posted[0]["id"], "approve")
    await decide(client, moderator, posted[1]["id"], "reject", "spam")
    await decide(client, moderator, posted[2]["id"], "approve")
    resp = await client.get(f"{API}/stats", headers=moderator.auth)
    data = await resp.json()
    assert_conforms("GET", f"{API}/stats", 200, data)
    assert data["decisions"] == {"approve": 2, "reject": 1}
    assert data["queues"]["pending"]["queued"] == 1
    assert data["median_seconds_to_decision"] >= 0
    assert data["approved_share_by_rule"] == {"links": {"decided": 2, "approved_share": 0.5}}


async def test_intake_follows_the_articles_mode_and_closing(client, moderator, reader):
    url = "/api/v1/articles/{}/comments"
    await client.post(ARTICLE.format("live-1"), json={"mode": "post"}, headers=moderator.auth)
    resp = await client.post(
        url.format("live-1"), json={"body": "published at once"}, headers=reader.auth
    )
    assert (await resp.json())["status"] == "approved"
    public = await (await client.get(url.format("live-1"))).json()
    assert [c["body"] for c in public["comments"]] == ["published at once"]

    await client.post(ARTICLE.format("live-1"), json={"closed": True}, headers=moderator.auth)
    resp = await client.post(url.format("live-1"), json={"body": "too late"}, headers=reader.auth)
    assert resp.status == 422
    assert (await resp.json())["error"]["details"]["reasons"][0]["rule"] == "closed"


async def test_intake_closes_an_article_days_after_its_first_comment(
    make_client, settings, reader, redis
):
    from service.store.keys import Keys, shard_of

    client = await make_client(settings.replace(**{"moderation.auto_close_days": 2}))
    url = "/api/v1/articles/{}/comments"
    assert (
        await client.post(url.format("old-1"), json={"body": "early"}, headers=reader.auth)
    ).status == 201
    keys = Keys(settings.redis.key_prefix)
    meta = keys.article_meta(shard_of("old-1"), "old-1")
    first = int(await redis.hget(meta, "first"))
    await redis.hset(meta, "first", first - 2 * 86_400_000 - 1000)
    resp = await client.post(
        url.format("old-1"), json={"body": "three days later"}, headers=reader.auth
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["details"]["reasons"][0]["rule"] == "closed"
