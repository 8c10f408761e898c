"""Load benchmark: the real service against a bare aiohttp app, in the same run, on loopback.

Starts its own Redis on a private port, the service (one process) and the bare app, then drives
POST and GET with wrk (64 connections, a fixed duration each) and prints throughput, p50/p99
latency and the ratio to the bare app. Everything stops by itself.

    python bench/load.py [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redis_server import RedisProcess, free_port  # noqa: E402

DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

POST_LUA = """
local n = 0
local tokens = {}
local f = io.open(os.getenv("BENCH_TOKENS_FILE") or "/dev/null")
for t in f:lines() do tokens[#tokens + 1] = t end
f:close()
request = function()
  n = n + 1
  local body = '{"body": "정부의 새 예산안은 지역 병원과 학교에 대한 지원을 늘린다고 하지만 세부 내용이 부족해 보입니다. ' ..
    'The plan sounds fine on paper, but who pays for it in year ' .. n .. '? 기사 잘 읽었습니다."}'
  local headers = {["Content-Type"] = "application/json"}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] end
  return wrk.format("POST", "/api/v1/articles/bench-" .. (n % 50) .. "/comments", headers, body)
end
""" + DONE_LUA

GET_LUA = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/articles/bench-" .. (n % 50) .. "/comments?limit=20")
end
""" + DONE_LUA


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def wrk(
    url: str, script: str, duration: int, connections: int, env: dict[str, str]
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", f.name, url],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=duration + 30,
        check=True,
    ).stdout
    os.unlink(f.name)
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    assert match, out
    requests, seconds, p50, p99, bad_status, socket_errors = map(float, match.groups())
    return {
        "rps": requests / seconds,
        "p50": p50,
        "p99": p99,
        "bad_status": bad_status,
        "errors": socket_errors,
    }


async def make_tokens(redis_url: str, prefix: str, count: int) -> list[str]:
    import redis.asyncio as aioredis

    from service.auth.sessions import SessionStore
    from service.auth.users import UserStore
    from service.store.keys import Keys

    client = aioredis.Redis.from_url(redis_url)
    keys = Keys(prefix)

    async def one(i: int) -> str:
        user = await UserStore(client, keys).upsert("bench", f"u{i}", f"Bench reader {i}")
        # Regular readers: past the policy's "first comments are held" rule.
        await client.hset(keys.user(user.id), "ncomments", 10)
        return (await SessionStore(client, keys, 3600).create(user.id))[0]

    tokens: list[str] = []
    for start in range(0, count, 50):
        tokens += await asyncio.gather(*(one(i) for i in range(start, min(count, start + 50))))
    await client.aclose()
    return tokens


async def seed_approved(redis_url: str, prefix: str) -> None:
    """Approve what the POST run wrote so that GET pages carry real comments."""
    import redis.asyncio as aioredis

    from service.comments.ids import shard_of_comment
    from service.store.keys import Keys

    client = aioredis.Redis.from_url(redis_url)
    keys = Keys(prefix)
    async for key in client.scan_iter(match=f"{prefix}:*:c:*", count=1000):
        cid = key.decode().rsplit(":", 1)[1]
        article = (await client.hget(key, "a")).decode()
        shard = shard_of_comment(cid)
        await client.hset(key, "s", "approved")
        await client.zadd(keys.article_public(shard, article), {cid: 0})
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--readers", type=int, default=8000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="sd-bench-"))
    redis = RedisProcess(tmp / "redis")
    redis.start()
    service_port, bare_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SD_")},
        "SD_REDIS_URL": redis.url, "SD_SERVER_PORT": str(service_port), "SD_REDIS_KEY_PREFIX": "bench",
    }  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--config", "config/development.toml"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_app.py"), str(bare_port)]),
    ]  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{service_port}/healthz")
        wait_http(f"http://127.0.0.1:{bare_port}/api/v1/articles/x/comments")
        # Enough distinct readers that the policy's per-reader rate limit (3 in 30 s) is not what
        # is measured: every reader posts at most about twice in a run.
        tokens = asyncio.run(make_tokens(redis.url, "bench", args.readers))
        (tmp / "tokens").write_text("\n".join(tokens))
        tenv = {"BENCH_TOKENS_FILE": str(tmp / "tokens")}
        results = {}
        for name, port in (("bare", bare_port), ("service", service_port)):
            results[(name, "POST")] = wrk(
                f"http://127.0.0.1:{port}", POST_LUA, args.duration, args.connections, tenv
            )
        asyncio.run(seed_approved(redis.url, "bench"))
        for name, port in (("bare", bare_port), ("service", service_port)):
            results[(name, "GET")] = wrk(
                f"http://127.0.0.1:{port}", GET_LUA, args.duration, args.connections, tenv
            )
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(15)
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n{args.connections} connections, {args.duration} s per run, 1 service process, loopback\n"
    )
    print(
        f"{'run':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}{'errors':>8}{'vs bare':>10}"
    )
    for method in ("POST", "GET"):
        bare = results[("bare", method)]["rps"]
        for name in ("bare", "service"):
            r = results[(name, method)]
            print(
                f"{name + ' ' + method:<14}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}"
                f"{r['bad_status']:>10.0f}{r['errors']:>8.0f}{r['rps'] / bare:>9.0%} "
            )


if __name__ == "__main__":
    main()
