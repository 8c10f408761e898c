"""Moderator tokens: the CLI, hashing, revocation, and separation from readers' sessions."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import redis_env
from tests.moderation.conftest import API, claim, decide
from tests.openapi_check import assert_conforms

ROOT = Path(__file__).resolve().parents[2]


def cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SD_")}
    env |= redis_env(settings)
    return subprocess.run(
        [sys.executable, "-m", "service", "moderators", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


async def test_cli_add_list_revoke(client, settings, redis, post_comments):
    added = cli(settings, "add", "maria", "--role", "admin")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("sdm_")
    assert "not shown again" in added.stderr
    # Only a digest is stored: the token appears nowhere in Redis.
    prefix = settings.redis.key_prefix
    async for key in redis.scan_iter(match=f"{prefix}:*"):
        if (await redis.type(key)) == b"hash":
            values = b" ".join(v for kv in (await redis.hgetall(key)).items() for v in kv)
            assert token.encode() not in values
            assert token.split(".")[1].encode() not in values
    digest = hashlib.sha256(token.split(".")[1].encode()).hexdigest()
    stored = [await redis.hvals(k) async for k in redis.scan_iter(match=f"{prefix}:{{mods}}:m:*")]
    assert any(digest.encode() in values for values in stored)
    assert cli(settings, "add", "maria").returncode == 1  # names are unique

    listed = cli(settings, "list")
    assert listed.returncode == 0
    assert listed.stdout.startswith("maria\tadmin\t")
    assert token not in listed.stdout

    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"{API}/queue", headers=auth)).status == 200
    revoked = cli(settings, "revoke", "maria")
    assert revoked.returncode == 0, revoked.stderr
    resp = await client.get(f"{API}/queue", headers=auth)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_token"
    assert cli(settings, "revoke", "maria").returncode == 1
    assert "maria" not in cli(settings, "list").stdout


async def test_a_reader_session_never_grants_moderator_rights(client, reader, post_comments):
    [c] = await post_comments(1)
    for headers in (reader.auth, {"Authorization": f"Bearer sdm_{reader.token}"}, {}):
        resp = await client.post(f"{API}/claims", json={"view": "pending"}, headers=headers)
        assert resp.status == 401
        resp = await client.post(
            f"{API}/comments/{c['id']}/decision",
            json={"action": "approve", "reason": "acceptable"},
            headers=headers,
        )
        assert resp.status == 401
    # ... nor with the session cookie.
    client.session.cookie_jar.update_cookies({"sd_session": reader.token})
    resp = await client.get(f"{API}/queue")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "moderator_token_required"


async def test_a_moderator_token_is_not_a_reader_session(client, moderator):
    resp = await client.get("/auth/me", headers=moderator.auth)
    assert resp.status == 401


async def test_a_tampered_token_is_refused(client, moderator):
    forged = moderator.token[:-1] + ("A" if moderator.token[-1] != "A" else "B")
    resp = await client.get(f"{API}/queue", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status == 401


async def test_claims_and_decisions_are_audited_with_the_moderator(
    client, moderator, post_comments
):
    [c] = await post_comments(1)
    await claim(client, moderator)
    await decide(client, moderator, c["id"], "reject", "spam", "bot")
    resp = await client.get(f"{API}/comments/{c['id']}", headers=moderator.auth)
    assert resp.status == 200
    data = await resp.json()
    assert_conforms("GET", f"{API}/comments/{c['id']}", 200, data)
    history = data["history"]
    assert [h["action"] for h in history] == ["claim", "reject"]
    assert all(h["actor"] == f"m:{moderator.id}" for h in history)
    assert history[1]["reason"] == "spam"
    assert history[1]["note"] == "bot"
    assert history[1]["view"] == "pending"
    assert history[1]["wait_ms"] >= 0
    assert data["comment"]["decision"]["action"] == "reject"


async def test_queue_counts(client, moderator, post_comments):
    await post_comments(5)
    await claim(client, moderator, count=2)
    resp = await client.get(f"{API}/queue", headers=moderator.auth)
    assert_conforms("GET", f"{API}/queue", 200, await resp.json())
    views = (await resp.json())["views"]
    assert views["pending"] == {"queued": 5, "in_claims": 2}
    assert views["reported"] == {"queued": 0, "in_claims": 0}
