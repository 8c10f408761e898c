"""Posting and reading comments through the real app and a real Redis."""

from __future__ import annotations

import asyncio
import unicodedata

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.comments.length import grapheme_count
from service.store.keys import Keys, shard_of

URL = "/api/v1/articles/{}/comments"


async def post(client, reader, body, article="a-1", **headers):
    return await client.post(
        URL.format(article), json={"body": body}, headers={**reader.auth, **headers}
    )


async def test_post_stores_and_queues_a_pending_comment(client, reader, redis, settings):
    resp = await post(client, reader, "  A fair point about the budget.  ")
    assert resp.status == 201
    data = await resp.json()
    assert data["status"] == "pending"
    assert data["body"] == "A fair point about the budget."
    assert data["article_id"] == "a-1"
    assert data["author"]["name"] == "Kim Reader"
    assert data["created_at"].endswith("Z")
    keys = Keys(settings.redis.key_prefix)
    shard = shard_of("a-1")
    entries = await redis.xrange(keys.queue(shard, "pending"))
    assert [e[1][b"c"].decode() for e in entries] == [data["id"]]
    stored = await redis.hgetall(keys.comment(shard, data["id"]))
    assert stored[b"b"].decode() == "A fair point about the budget."


async def test_pending_comments_are_not_public_but_visible_to_their_author(client, reader):
    resp = await post(client, reader, "Waiting for review")
    created = await resp.json()
    public = await (await client.get(URL.format("a-1"))).json()
    assert public == {"comments": [], "next_cursor": None, "approved_count": 0}
    mine = await (await client.get("/api/v1/me/comments", headers=reader.auth)).json()
    assert [c["id"] for c in mine["comments"]] == [created["id"]]
    assert mine["comments"][0]["status"] == "pending"
    assert mine["comments"][0]["reasons"] == []


async def test_post_requires_login(client):
    resp = await client.post(URL.format("a-1"), json={"body": "hi"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"


async def test_unknown_bearer_token_is_refused(client):
    resp = await client.post(
        URL.format("a-1"), json={"body": "hi"}, headers={"Authorization": "Bearer nope"}
    )
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("body", "length"),
    [
        ("👍🏽" * 250, 250),  # emoji + skin tone modifier: one each
        ("👨‍👩‍👧‍👦" * 250, 250),  # ZWJ family
        (unicodedata.normalize("NFD", "각") * 250, 250),  # decomposed Hangul syllable
        ("한국어 댓글입니다" * 27 + "가나다라마바사", 250),
        ("e\u0301" * 250, 250),  # e + combining acute
        ("a" * 250, 250),
    ],
)
async def test_exactly_250_perceived_characters_are_accepted(client, reader, body, length):
    assert grapheme_count(unicodedata.normalize("NFC", body)) == length
    resp = await post(client, reader, body)
    assert resp.status == 201, await resp.text()


@pytest.mark.parametrize("body", ["👍🏽" * 251, "가" * 251, "a" * 251, "🇰🇷" * 251])
async def test_251_characters_are_refused_with_the_count(client, reader, body, redis, key_prefix):
    resp = await post(client, reader, body)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "comment_too_long"
    assert error["details"]["length"] == 251
    assert error["details"]["max_length"] == 250
    assert "251" in error["message"] and "250" in error["message"]
    assert not [k async for k in redis.scan_iter(match=f"{key_prefix}:*:c:*")]


@pytest.mark.parametrize("body", ["", "   ", "\n\t\n"])
async def test_empty_comments_are_refused(client, reader, body):
    resp = await post(client, reader, body)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "comment_too_short"


@pytest.mark.parametrize("body", ["nul\x00byte", "bell\x07", "esc\x1b[31m", "c1\x85"])
async def test_control_characters_are_refused(client, reader, body):
    resp = await post(client, reader, body)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "comment_invalid"
    assert error["details"]["field"] == "body"


async def test_newlines_and_tabs_are_kept(client, reader):
    resp = await post(client, reader, "first line\r\n\tsecond line")
    assert resp.status == 201
    assert (await resp.json())["body"] == "first line\n\tsecond line"


async def test_combining_mark_flood_is_refused(client, reader):
    resp = await post(client, reader, "a" + "\u0301" * 10_000)
    assert resp.status in (413, 422)
    assert (await resp.json())["error"]["code"] in ("comment_too_long", "payload_too_large")


@pytest.mark.parametrize("article", ["-starts-with-dash", "has space", "x" * 129, "slash%2Fx", "é"])
async def test_article_ids_are_validated(client, reader, article):
    resp = await client.get(URL.format(article))
    assert resp.status in (400, 404)
    body = await resp.json()
    assert set(body) == {"error"}


async def test_idempotency_key_returns_the_first_result(client, reader, redis, settings):
    first = await post(client, reader, "Only once, please", **{"Idempotency-Key": "k-123"})
    again = await post(client, reader, "Only once, please", **{"Idempotency-Key": "k-123"})
    assert first.status == again.status == 201
    assert (await first.json()) == (await again.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    keys = Keys(settings.redis.key_prefix)
    assert await redis.xlen(keys.queue(shard_of("a-1"), "pending")) == 1


async def test_idempotency_key_reused_for_another_body_conflicts(client, reader):
    await post(client, reader, "First", **{"Idempotency-Key": "k-1"})
    resp = await post(client, reader, "Second", **{"Idempotency-Key": "k-1"})
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "idempotency_key_reused"


async def test_idempotency_keys_are_per_reader(client, make_reader):
    alice, bob = await make_reader("Alice"), await make_reader("Bob")
    a = await (await post(client, alice, "same words", **{"Idempotency-Key": "k"})).json()
    b = await (await post(client, bob, "same words", **{"Idempotency-Key": "k"})).json()
    assert a["id"] != b["id"]


async def test_concurrent_retries_with_one_key_create_one_comment(client, reader):
    responses = await asyncio.gather(
        *(post(client, reader, "racing retries", **{"Idempotency-Key": "race"}) for _ in range(20))
    )
    ids = {(await r.json())["id"] for r in responses}
    assert len(ids) == 1


@pytest.mark.parametrize("key", ["", "x" * 129, "tab\there", "é"])
async def test_bad_idempotency_keys_are_refused(client, reader, key):
    resp = await post(client, reader, "hello", **{"Idempotency-Key": key})
    assert resp.status == 400


async def approve(redis, settings, article, comment_id):
    """What a moderator's approval does to the public list (the moderation issue builds the API)."""
    keys = Keys(settings.redis.key_prefix)
    shard = shard_of(article)
    await redis.hset(keys.comment(shard, comment_id), "s", "approved")
    await redis.zadd(keys.article_public(shard, article), {comment_id: 0})


async def test_approved_comments_page_newest_first_with_a_stable_cursor(
    client, reader, redis, settings
):
    ids = []
    for i in range(7):
        data = await (await post(client, reader, f"comment {i}")).json()
        await approve(redis, settings, "a-1", data["id"])
        ids.append(data["id"])
    page1 = await (await client.get(URL.format("a-1"), params={"limit": 3})).json()
    assert [c["body"] for c in page1["comments"]] == ["comment 6", "comment 5", "comment 4"]
    assert page1["approved_count"] == 7
    # New comments arriving between pages shift nothing.
    late = await (await post(client, reader, "late")).json()
    await approve(redis, settings, "a-1", late["id"])
    page2 = await (
        await client.get(URL.format("a-1"), params={"limit": 3, "cursor": page1["next_cursor"]})
    ).json()
    assert [c["body"] for c in page2["comments"]] == ["comment 3", "comment 2", "comment 1"]
    page3 = await (
        await client.get(URL.format("a-1"), params={"limit": 3, "cursor": page2["next_cursor"]})
    ).json()
    assert [c["body"] for c in page3["comments"]] == ["comment 0"]
    assert page3["next_cursor"] is None
    assert "status" not in page1["comments"][0]


@pytest.mark.parametrize("cursor", ["garbage!", "AAAA", "x" * 65, "../../etc"])
async def test_bogus_cursors_are_refused(client, cursor):
    resp = await client.get(URL.format("a-1"), params={"cursor": cursor})
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "-1", "101", "abc", "1e3", "99999999999"])
async def test_bad_limits_are_refused(client, limit):
    resp = await client.get(URL.format("a-1"), params={"limit": limit})
    assert resp.status == 400


async def test_my_comments_span_articles_and_page(client, reader):
    for i in range(5):
        await post(client, reader, f"mine {i}", article=f"article-{i}")
    first = await (
        await client.get("/api/v1/me/comments", params={"limit": 2}, headers=reader.auth)
    ).json()
    assert [c["body"] for c in first["comments"]] == ["mine 4", "mine 3"]
    rest = await (
        await client.get(
            "/api/v1/me/comments",
            params={"limit": 5, "cursor": first["next_cursor"]},
            headers=reader.auth,
        )
    ).json()
    assert [c["body"] for c in rest["comments"]] == ["mine 2", "mine 1", "mine 0"]


async def test_banned_reader_cannot_post(client, reader, redis, settings):
    await redis.hset(
        Keys(settings.redis.key_prefix).user(reader.user.id), mapping={"status": "banned"}
    )
    resp = await post(client, reader, "let me in")
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "user_banned"


@given(body=st.text(min_size=1, max_size=300))
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_any_text_is_stored_exactly_or_refused_cleanly(client, reader, body):
    resp = await post(client, reader, body)
    assert resp.status in (201, 400, 422), await resp.text()
    data = await resp.json()
    if resp.status == 201:
        assert (
            data["body"]
            == unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
        )
    else:
        assert set(data["error"]) == {"code", "message", "details"}
