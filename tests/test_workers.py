"""`serve --workers N` as real processes over a real Redis: sessions hold across workers, a worker
killed with SIGKILL loses no acknowledged comment and is replaced, and SIGTERM lets in-flight
requests finish."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from service.auth.sessions import SessionStore
from service.auth.users import UserStore
from service.store.keys import SHARDS, Keys
from tests.redis_server import RedisProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

# A policy with no per-reader rate limits, so one test can post a thousand comments quickly.
VOLUME_RULES = """
version = "workers-test"

[[rules]]
id = "links"
kind = "links"
action = "hold"
reason.en = "Comments with links are checked by a moderator before they appear."
reason.ko = "링크가 포함된 댓글은 검토 후 게시됩니다."
params.max_count = 0
"""


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class Service:
    def __init__(self, tmp: Path, redis: RedisProcess, workers: int, prefix: str):
        self.port = free_port()
        rules = tmp / "rules.toml"
        rules.write_text(VOLUME_RULES)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SD_")}
        env.update(
            SD_REDIS_URL=redis.url,
            SD_REDIS_KEY_PREFIX=prefix,
            SD_REDIS_DATA_DIR=str(tmp / "var"),
            SD_SERVER_PORT=str(self.port),
            SD_RULES_PATH=str(rules),
            SD_SERVER_SHUTDOWN_TIMEOUT="5",
        )
        # A file, not a pipe: nobody reads a pipe while the test runs, and a full pipe would
        # block the workers' logging.
        self.log = tmp / "service.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--config", "config/development.toml",
                 "--workers", str(workers)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(self.base + "/readyz") as resp:
                        if resp.status == 200 and len(children_of(self.process.pid)) >= workers:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the service did not become ready")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.log.read_text(errors="replace")


@pytest.fixture
def aof_redis(tmp_path):
    server = RedisProcess(tmp_path / "redis", aof="always")
    server.start()
    yield server
    server.stop()


async def make_tokens(redis_url: str, prefix: str, n: int) -> list[str]:
    client = aioredis.Redis.from_url(redis_url)
    keys = Keys(prefix)
    tokens = []
    for i in range(n):
        user = await UserStore(client, keys).upsert("dev", f"w{i}", f"Worker test {i}")
        tokens.append((await SessionStore(client, keys, 3600).create(user.id))[0])
    await client.aclose()
    return tokens


async def test_kill_9_of_a_worker_loses_no_acknowledged_comment(tmp_path, aof_redis, key_prefix):
    service = Service(tmp_path, aof_redis, workers=3, prefix=key_prefix)
    try:
        await service.wait_ready(3)
        tokens = await make_tokens(aof_redis.url, key_prefix, 8)
        first_workers = children_of(service.process.pid)
        acknowledged: dict[str, str] = {}  # idempotency key -> comment id
        errors: list[str] = []
        unanswered = 0
        total = int(os.environ.get("WT_TOTAL", "1000"))

        async def post(session: aiohttp.ClientSession, n: int) -> None:
            nonlocal unanswered
            key = f"k-{n}"
            for attempt in range(20):
                try:
                    async with session.post(
                        f"{service.base}/api/v1/articles/story-{n % 7}/comments",
                        json={"body": f"comment {n} from a reader"},
                        headers={
                            "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                            "Idempotency-Key": key,
                        },
                    ) as resp:
                        if resp.status == 201:
                            acknowledged[key] = (await resp.json())["id"]
                            return
                        assert resp.status == 503, await resp.text()
                        errors.append(f"{key}: 503 {await resp.text()}")
                except (TimeoutError, aiohttp.ClientError) as exc:
                    errors.append(f"{key}: {exc!r}")
                    if attempt == 0:
                        unanswered += 1
                await asyncio.sleep(0.05)
            raise AssertionError(f"{key} never succeeded: {errors[-5:]}")

        async def killer() -> None:
            while len(acknowledged) < total * 3 // 10:
                await asyncio.sleep(0.01)
            if not os.environ.get("WT_NOKILL"):
                os.kill(first_workers[0], signal.SIGKILL)

        queue = list(range(total))

        async def client() -> None:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                while queue:
                    await post(session, queue.pop())

        await asyncio.gather(killer(), *(client() for _ in range(16)))
        assert len(acknowledged) == total
        assert len(set(acknowledged.values())) == total, "a retry created a second comment"
        # The supervisor replaced the dead worker.
        deadline = time.monotonic() + 20
        while len(children_of(service.process.pid)) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        now = children_of(service.process.pid)
        assert len(now) == 3 and first_workers[0] not in now
    finally:
        output = service.stop()
    assert service.process.returncode == 0, "\n".join(
        line for line in output.splitlines() if "service.access" not in line
    )

    direct = aioredis.Redis.from_url(aof_redis.url)
    keys = Keys(key_prefix)
    stored = {
        k.decode().rsplit(":", 1)[1]
        async for k in direct.scan_iter(match=f"{key_prefix}:*:c:*", count=1000)
    }
    queued = []
    for shard in range(SHARDS):
        queued += [f[b"c"].decode() for _, f in await direct.xrange(keys.queue(shard, "pending"))]
    await direct.aclose()
    assert set(acknowledged.values()) <= stored, "an acknowledged comment is missing"
    assert len(queued) == len(set(queued)) == len(stored), (
        "queued twice, or stored without queueing"
    )


async def test_sigterm_lets_in_flight_requests_finish(tmp_path, aof_redis, key_prefix):
    service = Service(tmp_path, aof_redis, workers=2, prefix=key_prefix)
    try:
        await service.wait_ready(2)
        [token] = await make_tokens(aof_redis.url, key_prefix, 1)
        blocker = aioredis.Redis.from_url(aof_redis.url)
        async with aiohttp.ClientSession() as session:

            async def slow_post() -> int:
                async with session.post(
                    f"{service.base}/api/v1/articles/a/comments",
                    json={"body": "posted while the service stops"},
                    headers={"Authorization": f"Bearer {token}"},
                ) as resp:
                    return resp.status

            # Redis holds every client for a second, so the request is in flight when SIGTERM
            # arrives.
            await blocker.execute_command("CLIENT", "PAUSE", "1000", "ALL")
            request = asyncio.create_task(slow_post())
            await asyncio.sleep(0.2)
            service.process.send_signal(signal.SIGTERM)
            assert await request == 201
        await blocker.aclose()
    finally:
        output = service.stop()
    assert service.process.returncode == 0, "\n".join(
        line for line in output.splitlines() if "service.access" not in line
    )


async def test_a_stop_while_workers_are_still_starting_is_a_clean_stop(
    tmp_path, aof_redis, key_prefix
):
    """SIGTERM that reaches workers while they still import (as when the supervisor has just
    replaced a dead one) ends them before they serve anything: the service exits 0."""
    service = Service(tmp_path, aof_redis, workers=2, prefix=key_prefix)
    deadline = time.monotonic() + 30
    while '"serving"' not in service.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, service.log.read_text(errors="replace")
        await asyncio.sleep(0.005)
    assert len(children_of(service.process.pid)) == 2
    output = service.stop()
    assert service.process.returncode == 0, output
