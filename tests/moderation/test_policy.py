"""Admins replace the rules through the API; every worker follows within a few seconds."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator

import orjson

from service.appkeys import RULES
from service.rules import load_ruleset
from service.settings import CONFIG_DIR
from tests.moderation.conftest import API
from tests.openapi_check import assert_conforms

RULES_URL = API + "/rules"

POLICY = """
version = "test-2"

[[rules]]
id = "no-bananas"
kind = "wordlist"
action = "reject"
reason.en = "No bananas."
reason.ko = "바나나 금지."
params.lists = ["wordlists/fruit.txt"]
"""


async def test_replace_validates_applies_everywhere_and_records(
    make_client, settings, admin, moderator, reader
):
    fast = settings.replace(**{"moderation.rules_poll_seconds": 0.1})
    first, second = await make_client(fast), await make_client(fast)

    resp = await first.put(
        RULES_URL, json={"text": "version = 1\n[[rules]]\nid = 3"}, headers=admin.auth
    )
    assert resp.status == 422
    body = await resp.json()
    assert body["error"]["code"] == "rules_invalid"
    assert body["error"]["details"]["errors"]

    resp = await first.put(RULES_URL, json={"text": POLICY}, headers=moderator.auth)
    assert resp.status == 403

    resp = await first.put(
        RULES_URL,
        json={"text": POLICY, "word_lists": {"wordlists/fruit.txt": "banana\n"}, "note": "fruit"},
        headers=admin.auth,
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["version"] == "test-2"
    assert str(first.server.app[RULES].current.version) == "test-2"
    for _ in range(50):  # the other worker follows within its poll interval
        if str(second.server.app[RULES].current.version) == "test-2":
            break
        await asyncio.sleep(0.05)
    assert str(second.server.app[RULES].current.version) == "test-2"

    resp = await second.post(
        "/api/v1/articles/a-1/comments", json={"body": "I like banana bread"}, headers=reader.auth
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "comment_rejected"

    data = await (await second.get(RULES_URL, headers=admin.auth)).json()
    assert data["source"] == "api"
    assert data["version"] == "test-2"
    assert data["word_lists"] == ["wordlists/fruit.txt"]
    assert data["history"][0]["action"] == "rules"
    assert data["history"][0]["actor"] == f"m:{admin.id}"
    assert data["history"][0]["note"] == "fruit"


async def test_word_list_names_are_checked(client, admin):
    resp = await client.put(
        RULES_URL,
        json={"text": POLICY, "word_lists": {"../../etc/passwd": "x"}},
        headers=admin.auth,
    )
    assert resp.status == 422
    resp = await client.put(
        RULES_URL, json={"text": POLICY, "word_lists": {"wordlists/a.txt": 3}}, headers=admin.auth
    )
    assert resp.status == 400


async def test_reading_the_rules_needs_an_admin(client, admin, moderator):
    assert (await client.get(RULES_URL, headers=moderator.auth)).status == 403
    data = await (await client.get(RULES_URL, headers=admin.auth)).json()
    assert data["source"] == "file"
    assert data["text"].startswith("#") or "version" in data["text"]


def shipped_policy(extra_term: str = "") -> dict[str, object]:
    """The shipped rules with every word list they name, as a replacement would send them."""
    text = (CONFIG_DIR / "rules.toml").read_text(encoding="utf-8")
    names: set[str] = set()
    for rule in tomllib.loads(text)["rules"]:
        params = rule.get("params", {})
        names.update(params.get("lists", []), params.get("innocent", []))
    lists = {name: (CONFIG_DIR / name).read_text(encoding="utf-8") for name in sorted(names)}
    if extra_term:
        lists["wordlists/en-profanity.tsv"] += f"{extra_term}\t2\n"
    return {"text": text, "word_lists": lists, "note": "whole shipped policy"}


async def test_the_whole_shipped_policy_fits_its_own_limit(client, settings, admin, reader):
    policy = shipped_policy(extra_term="zorblaxian")
    assert len(orjson.dumps(policy)) > settings.server.max_body_bytes
    resp = await client.put(RULES_URL, json=policy, headers=admin.auth)
    assert resp.status == 200, await resp.text()
    shipped = load_ruleset(CONFIG_DIR / "rules.toml")
    assert (await resp.json())["version"] == str(shipped.version)
    assert str(client.server.app[RULES].current.version) == str(shipped.version)
    data = await (await client.get(RULES_URL, headers=admin.auth)).json()
    assert data["source"] == "api"
    assert data["word_lists"] == sorted(policy["word_lists"])

    # Applied, word lists included: the term added to a list now holds a comment.
    resp = await client.post(
        "/api/v1/articles/a-1/comments",
        json={"body": "what a zorblaxian idea"},
        headers=reader.auth,
    )
    assert resp.status == 201, await resp.text()
    cid = (await resp.json())["id"]
    seen = await (await client.get(f"{API}/comments/{cid}", headers=admin.auth)).json()
    assert seen["comment"]["status"] == "pending"
    assert "profanity-en" in {h["rule_id"] for h in seen["comment"]["hits"]}


async def test_a_policy_over_its_limit_is_refused_naming_the_limit(
    make_client, settings, admin, moderator
):
    limit = 100_000
    client = await make_client(settings.replace(**{"moderation.max_policy_bytes": limit}))
    big = {"text": POLICY, "word_lists": {"wordlists/fruit.txt": "banana\n" * 20_000}}
    assert len(orjson.dumps(big)) > limit

    resp = await client.put(RULES_URL, json=big, headers=admin.auth)
    assert resp.status == 413
    body = await resp.json()
    assert body == {
        "error": {
            "code": "payload_too_large",
            "message": "The request body is too large.",
            "details": {"max_bytes": limit},
        }
    }
    assert_conforms("PUT", RULES_URL, 413, body)

    # Without a Content-Length (chunked), the bound holds while reading.
    async def chunks() -> AsyncIterator[bytes]:
        raw = orjson.dumps(big)
        for i in range(0, len(raw), 8192):
            yield raw[i : i + 8192]

    resp = await client.put(
        RULES_URL,
        data=chunks(),
        headers={**admin.auth, "Content-Type": "application/json"},
    )
    assert resp.status == 413
    assert (await resp.json())["error"]["details"] == {"max_bytes": limit}

    # Only admins' bodies are read at all.
    resp = await client.put(RULES_URL, json=big, headers=moderator.auth)
    assert resp.status == 403


async def test_other_routes_keep_the_app_wide_limit(client, settings, admin, reader):
    filler = "x" * (settings.server.max_body_bytes + 10)
    assert settings.moderation.max_policy_bytes > len(filler)
    for path, auth in (
        (f"{API}/claims", admin.auth),
        ("/api/v1/articles/a-1/comments", reader.auth),
    ):
        resp = await client.post(path, json={"view": "pending", "note": filler}, headers=auth)
        assert resp.status == 413, path
        body = await resp.json()
        assert body["error"]["code"] == "payload_too_large"
        assert body["error"]["details"] == {"max_bytes": settings.server.max_body_bytes}
