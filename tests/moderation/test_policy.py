"""Admins replace the rules through the API; every worker follows within a few seconds."""

from __future__ import annotations

import asyncio

from service.appkeys import RULES
from tests.moderation.conftest import API

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
