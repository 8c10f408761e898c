"""Moderation benchmark: decisions per second through one service process, over loopback.

Starts its own Redis on a private port and the service (one process, `serve`), seeds pending
comments straight through the intake script, then runs moderators that claim a batch and decide
each comment of it, for a fixed time: first one decision per request, then one bulk decision per
batch. Prints decisions per second for each. Everything stops by itself.

    python bench/moderation.py [--duration 10] [--moderators 16] [--batch 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_server import RedisProcess, free_port  # noqa: E402

PREFIX = "bench"
API = "/api/v1/moderation"


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


async def seed(redis_url: str, count: int, moderators: int) -> list[str]:
    """`count` pending comments over 200 articles, and moderator tokens."""
    from service.auth.users import UserStore
    from service.comments.ids import new_comment_id
    from service.comments.model import Comment
    from service.comments.store import CommentStore
    from service.moderation.moderators import ModeratorStore
    from service.settings import RedisSettings
    from service.store.client import Scripts, connect
    from service.store.keys import Keys, shard_of

    client = connect(RedisSettings(), redis_url)
    keys = Keys(PREFIX)
    store = CommentStore(client, keys, Scripts(client))
    author = await UserStore(client, keys).upsert("bench", "author", "Bench Author")

    async def one(i: int) -> None:
        article = f"bench-{i % 200}"
        comment = Comment(
            id=new_comment_id(shard_of(article)),
            article_id=article,
            author_id=author.id,
            author_name=author.name,
            author_avatar="",
            body=f"comment {i} about the budget " + "a" * 150,
            status="pending",
            created_at=int(time.time() * 1000),
        )
        await store.create(
            comment,
            queue_view="pending",
            publish=False,
            idempotency_digest=None,
            fingerprint="",
            idempotency_ttl=60,
        )

    for start in range(0, count, 500):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 500))))
    mods = ModeratorStore(client, keys)
    tokens = [(await mods.add(f"bench{i}", "moderator"))[1] for i in range(moderators)]
    await client.aclose(close_connection_pool=True)
    return tokens


async def run(base: str, tokens: list[str], batch: int, duration: float, bulk: bool) -> int:
    decided = 0
    deadline = time.monotonic() + duration

    async def moderator(session: aiohttp.ClientSession, token: str) -> None:
        nonlocal decided
        auth = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < deadline:
            async with session.post(
                f"{base}{API}/claims", json={"view": "pending", "count": batch}, headers=auth
            ) as resp:
                assert resp.status == 200, await resp.text()
                ids = [c["comment"]["id"] for c in (await resp.json())["claims"]]
            if not ids:
                return
            body = {"action": "approve", "reason": "acceptable"}
            if bulk:
                async with session.post(
                    f"{base}{API}/decisions", json={"ids": ids, **body}, headers=auth
                ) as resp:
                    results = (await resp.json())["results"]
                    decided += sum(r["outcome"] == "applied" for r in results)
                continue
            for cid in ids:
                async with session.post(
                    f"{base}{API}/comments/{cid}/decision", json=body, headers=auth
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    decided += 1

    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(moderator(session, t) for t in tokens))
        elapsed = time.monotonic() - started
    return int(decided / elapsed)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, base: str, tokens: list[str], args: argparse.Namespace, bulk: bool):
    """(decisions per second, service CPU milliseconds per decision)."""
    cpu = cpu_seconds(pid)
    started = time.monotonic()
    rate = asyncio.run(run(base, tokens, args.batch, args.duration, bulk))
    decisions = max(1, rate * (time.monotonic() - started))
    return rate, 1000 * (cpu_seconds(pid) - cpu) / decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--moderators", type=int, default=16)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--comments", type=int, default=60_000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sd-bench-mod-"))
    redis = RedisProcess(tmp / "redis")
    redis.start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SD_")},
        "SD_REDIS_URL": redis.url, "SD_SERVER_PORT": str(port), "SD_REDIS_KEY_PREFIX": PREFIX,
    }  # fmt: skip
    # BENCH_PROFILE=FILE: profile the service process (cProfile) into FILE.
    profile = (
        ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
        if "BENCH_PROFILE" in os.environ
        else []
    )
    service = subprocess.Popen(
        [sys.executable, *profile, "-m", "service", "serve", "--config", "config/development.toml"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        tokens = asyncio.run(seed(redis.url, args.comments, args.moderators))
        single, single_cpu = measured(service.pid, base, tokens, args, bulk=False)
        bulk, bulk_cpu = measured(service.pid, base, tokens, args, bulk=True)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(15)
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\n{args.moderators} moderators, claims of {args.batch}, {args.duration:.0f} s per run, "
        "1 service process, loopback"
    )
    print("(service CPU per decision: what one core of the service process would sustain)")
    print(
        f"claim + one decision per request : {single:>7} decisions/s, "
        f"{single_cpu:.3f} ms CPU each (~{1000 / single_cpu:.0f}/s per core)"
    )
    print(
        f"claim + one bulk decision        : {bulk:>7} decisions/s, "
        f"{bulk_cpu:.3f} ms CPU each (~{1000 / bulk_cpu:.0f}/s per core)"
    )


if __name__ == "__main__":
    main()
