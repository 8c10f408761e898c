"""The standards-board rules at intake, through the real app and a real Redis: what the writer
is told, what is stored, what is queued, and the context rules over Redis counters."""

from __future__ import annotations

import time
import tomllib

import orjson
import pytest

from service.rules import parse_ruleset
from service.settings import CONFIG_DIR
from service.store.keys import Keys, shard_of

URL = "/api/v1/articles/{}/comments"


async def post(client, reader, body, article="a-1", **headers):
    return await client.post(
        URL.format(article), json={"body": body}, headers={**reader.auth, **headers}
    )


@pytest.fixture
async def strict_client(make_client, settings, policy):
    """The whole shipped policy, rate limits and floods included."""
    return await make_client(settings, policy)


async def test_a_rejected_comment_says_why_in_both_languages_and_is_kept_for_audit(
    client, reader, redis, settings
):
    resp = await post(client, reader, "연락주세요 010-1234-5678")
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "comment_rejected"
    [reason] = error["details"]["reasons"]
    assert reason["rule"] == "personal-info"
    assert reason["en"] and reason["ko"]
    keys = Keys(settings.redis.key_prefix)
    comment_id = error["details"]["comment_id"]
    stored = await redis.hgetall(keys.comment(shard_of("a-1"), comment_id))
    assert stored[b"s"] == b"rejected"
    assert await redis.xlen(keys.queue(shard_of("a-1"), "pending")) == 0
    public = await (await client.get(URL.format("a-1"))).json()
    assert public["comments"] == []
    mine = await (await client.get("/api/v1/me/comments", headers=reader.auth)).json()
    assert mine["comments"][0]["status"] == "rejected"
    assert mine["comments"][0]["reasons"][0]["rule"] == "personal-info"


async def test_a_held_comment_is_queued_with_the_rules_and_spans_for_moderators(
    client, reader, redis, settings
):
    body = "자세한 내용은 www . example . com 참고"
    resp = await post(client, reader, body)
    assert resp.status == 201
    data = await resp.json()
    assert data["status"] == "pending"
    assert data["reasons"][0]["rule"] == "links"
    keys = Keys(settings.redis.key_prefix)
    stored = await redis.hgetall(keys.comment(shard_of("a-1"), data["id"]))

    hits = orjson.loads(stored[b"h"])
    link = next(h for h in hits if h["rule_id"] == "links")
    start, end = link["span"]
    assert "example" in body[start:end]
    assert await redis.xlen(keys.queue(shard_of("a-1"), "pending")) == 1


@pytest.mark.parametrize(
    "body",
    ["시1발 진짜", "ㅅ.ㅂ 뭐야", "tlqkf 이게 뭐냐", "f u c k this", "what the $h1t"],
)
async def test_evasions_are_caught_at_intake(client, reader, body):
    resp = await post(client, reader, body)
    if resp.status == 201:
        assert (await resp.json())["status"] == "pending"
        assert (await resp.json())["reasons"], "an evasion went through unremarked"
    else:
        assert resp.status == 422


@pytest.mark.parametrize(
    "body", ["시발점에서 다시 생각해 봅시다", "동시발매 소식 반갑네요", "Scunthorpe United won"]
)
async def test_innocent_words_pass(client, reader, body):
    resp = await post(client, reader, body)
    assert resp.status == 201
    assert (await resp.json())["reasons"] == []


async def test_rate_limit_refuses_the_fourth_comment_in_30_seconds_without_counting_it(
    strict_client, reader, redis, settings
):
    for i in range(3):
        assert (await post(strict_client, reader, f"different comment {i}")).status == 201
    resp = await post(strict_client, reader, "one more, too fast")
    assert resp.status == 422
    assert (await resp.json())["error"]["details"]["reasons"][0]["rule"] == "rate-reader"
    assert await redis.zcard(Keys(settings.redis.key_prefix).reader_rate(reader.user.id)) == 3


async def test_the_same_text_twice_is_a_flood(strict_client, reader):
    assert (await post(strict_client, reader, "정부는 각성하라")).status == 201
    resp = await post(strict_client, reader, "정부는  각성하라!!", article="other")
    assert resp.status == 422
    assert (await resp.json())["error"]["details"]["reasons"][0]["rule"] == "flood"


async def test_a_new_readers_first_comments_are_held_under_post_moderation(
    make_client, settings, make_reader
):
    data = tomllib.loads((CONFIG_DIR / "rules.toml").read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["kind"] != "rate_limit"]
    without_rate_limits = parse_ruleset(data, base_dir=CONFIG_DIR)
    client = await make_client(
        settings.replace(**{"comments.moderation_mode": "post"}), without_rate_limits
    )
    reader = await make_reader("Newcomer")
    statuses = []
    for i in range(4):
        data = await (
            await post(client, reader, f"comment number {i} on the story", article=f"s{i}")
        ).json()
        statuses.append(data["status"])
    assert statuses == ["pending", "pending", "pending", "approved"]
    public = await (await client.get(URL.format("s3"))).json()
    assert public["approved_count"] == 1


async def test_trusted_readers_skip_holds_and_premoderated_readers_are_held(
    make_client, settings, policy, make_reader, redis
):
    client = await make_client(settings.replace(**{"comments.moderation_mode": "post"}), policy)
    keys = Keys(settings.redis.key_prefix)
    trusted, watched = await make_reader("Trusted"), await make_reader("Watched")
    await redis.hset(keys.user(trusted.user.id), mapping={"status": "trusted"})
    await redis.hset(
        keys.user(watched.user.id), mapping={"status": "premoderated", "ncomments": 50}
    )
    first = await (await post(client, trusted, "a first comment from a trusted reader")).json()
    assert first["status"] == "approved"
    held = await (await post(client, watched, "a comment from a watched reader")).json()
    assert held["status"] == "pending"
    assert held["reasons"][0]["rule"] == "premoderated"


async def test_ip_rate_limit_holds_comments_from_one_busy_network(
    make_client, settings, policy, make_reader, redis
):
    behind_proxy = settings.replace(
        **{"server.trusted_proxies": ["127.0.0.1/32"], "comments.moderation_mode": "post"}
    )
    client = await make_client(behind_proxy, policy)
    keys = Keys(settings.redis.key_prefix)
    statuses = []
    for i in range(11):
        reader = await make_reader(f"Neighbour {i}")
        await redis.hset(keys.user(reader.user.id), mapping={"ncomments": 50})
        resp = await post(
            client, reader, f"my own view number {i}", **{"X-Forwarded-For": "203.0.113.9"}
        )
        statuses.append((await resp.json())["status"])
    assert statuses[:10] == ["approved"] * 10
    assert statuses[10] == "pending"
    other = await make_reader("Elsewhere")
    await redis.hset(keys.user(other.user.id), mapping={"ncomments": 50})
    resp = await post(client, other, "from another network", **{"X-Forwarded-For": "198.51.100.7"})
    assert (await resp.json())["status"] == "approved"
    assert not [k async for k in redis.scan_iter(match=f"{keys.prefix}:*203.0.113.9*")], (
        "raw IP in a key"
    )


async def test_an_untrusted_peer_cannot_choose_its_address(
    make_client, settings, policy, make_reader, redis
):
    client = await make_client(settings.replace(**{"comments.moderation_mode": "post"}), policy)
    keys = Keys(settings.redis.key_prefix)
    statuses = []
    for i in range(11):
        reader = await make_reader(f"Spoofer {i}")
        await redis.hset(keys.user(reader.user.id), mapping={"ncomments": 50})
        resp = await post(
            client, reader, f"spoofed view {i}", **{"X-Forwarded-For": f"198.51.100.{i}"}
        )
        statuses.append((await resp.json())["status"])
    assert statuses[10] == "pending", "X-Forwarded-For from an untrusted peer was believed"


async def test_a_closed_article_refuses_comments(client, reader, redis, settings):
    keys = Keys(settings.redis.key_prefix)
    await redis.hset(keys.article_meta(shard_of("closed-1"), "closed-1"), "closed", "1")
    resp = await post(client, reader, "too late", article="closed-1")
    assert resp.status == 422
    assert (await resp.json())["error"]["details"]["reasons"][0]["rule"] == "closed"


async def test_a_suspension_that_ran_out_no_longer_blocks(client, reader, redis, settings):
    keys = Keys(settings.redis.key_prefix)
    past = int(time.time() * 1000) - 1000
    await redis.hset(
        keys.user(reader.user.id), mapping={"status": "suspended", "status_until": past}
    )
    assert (await post(client, reader, "back again")).status == 201
