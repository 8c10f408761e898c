"""Load benchmark: the real service beside a bare aiohttp app (and Isso) in the same run.

Starts its own Redis on a private port, the service (`serve --workers N`), a bare aiohttp app
with as many processes doing no work but decoding the same JSON, and optionally Isso under
gunicorn; drives each with wrk on loopback for a fixed time per run; prints throughput, p50/p99
latency, the ratio to the bare app and each server's CPU per request (its processes' user and
system time over the run: steadier than throughput when wrk, Redis and the servers share the
cores); then Redis memory per stored comment. Everything it starts, it stops.

    python bench/load.py                      # POST, GET and the mix, 1 and 2 workers
    python bench/load.py --isso               # also Isso (installs it into var/bench/isso)
    python bench/load.py --floor              # also the floor: bare app + body checks + rules
    python bench/load.py --duration 5 --workers 1 --scenarios post

Scenarios: `post` (new comments by thousands of readers), `get` (pages of approved comments),
`mix` (80 % reads, 15 % posts, 5 % moderator claims and decisions).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import tree_cpu_seconds, volume_policy, wait_http  # noqa: E402

from tests.redis_server import RedisProcess, free_port  # noqa: E402

PREFIX = "bench"

DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

COMMON_LUA = """
local n = 0
local tokens, moderators = {}, {}
local function load(path, into)
  local f = io.open(path or "/dev/null")
  if f then for t in f:lines() do into[#into + 1] = t end f:close() end
end
load(os.getenv("BENCH_TOKENS_FILE"), tokens)
load(os.getenv("BENCH_MODERATORS_FILE"), moderators)
local isso = os.getenv("BENCH_ISSO") == "1"
local function body(k)
  return "정부의 새 예산안은 지역 병원과 학교에 대한 지원을 늘린다고 하지만 세부 내용이 부족해 보입니다. " ..
    "The plan sounds fine on paper, but who pays for it in year " .. k .. "? 기사 잘 읽었습니다."
end
local function post()
  if isso then
    return wrk.format("POST", "/new?uri=%2Fbench-" .. (n % 50), {["Content-Type"] = "application/json"},
      '{"text": "' .. body(n) .. '", "author": "Bench reader", "title": "Bench article"}')
  end
  local headers = {["Content-Type"] = "application/json"}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] end
  return wrk.format("POST", "/api/v1/articles/bench-" .. (n % 50) .. "/comments", headers, '{"body": "' .. body(n) .. '"}')
end
local function get()
  if isso then return wrk.format("GET", "/?uri=%2Fbench-" .. (n % 50)) end
  return wrk.format("GET", "/api/v1/articles/bench-" .. (n % 50) .. "/comments?limit=20")
end
"""

SCENARIO_LUA = {
    "post": COMMON_LUA + "request = function() n = n + 1 return post() end\n",
    "get": COMMON_LUA + "request = function() n = n + 1 return get() end\n",
    # A moderator claims one comment; the thread's next request decides it.
    "mix": COMMON_LUA
    + """
local decide, last_was_claim, claimer = nil, false, nil
local function moderator(token) return {["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. token} end
request = function()
  n = n + 1
  last_was_claim = false
  if decide then
    local id = decide
    decide = nil
    -- The moderator who claimed it decides it (another one would get a 409: not their claim).
    return wrk.format("POST", "/api/v1/moderation/comments/" .. id .. "/decision", moderator(claimer),
      '{"action": "approve", "reason": "acceptable"}')
  end
  local r = n % 100
  if r < 80 then return get() end
  if r < 95 then return post() end
  last_was_claim = true
  claimer = moderators[math.random(#moderators)]
  return wrk.format("POST", "/api/v1/moderation/claims", moderator(claimer), '{"view": "pending", "count": 1}')
end
response = function(status, headers, body)
  if last_was_claim and status == 200 then
    decide = string.match(body, '"id": ?"([0-9A-HJKMNP-TV-Z]+)"')
  end
end
""",
}


def wrk(
    port: int, scenario: str, duration: int, connections: int, env: dict[str, str],
    threads: int = 2, timeout: int = 2,
) -> dict[str, float]:  # fmt: skip
    """One wrk run; `timeout` is wrk's per-request limit in seconds (a request slower than that
    counts as an error)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(SCENARIO_LUA[scenario] + DONE_LUA)
    run = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{timeout}s", "--latency",
         "-s", f.name, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=duration + 60,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"wrk failed on port {port} ({scenario}): {run.stdout} {run.stderr}")
    out = run.stdout
    os.unlink(f.name)
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    assert match, out
    requests, seconds, p50, p99, bad_status, socket_errors = map(float, match.groups())
    return {
        "requests": requests,
        "rps": requests / seconds,
        "p50": p50,
        "p99": p99,
        "bad": bad_status,
        "errors": socket_errors,
    }


async def make_readers(redis_url: str, count: int) -> list[str]:
    import redis.asyncio as aioredis

    from service.auth.sessions import SessionStore
    from service.auth.users import UserStore
    from service.store.keys import Keys

    client = aioredis.Redis.from_url(redis_url)
    keys = Keys(PREFIX)

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


async def make_moderators(redis_url: str, count: int) -> list[str]:
    import redis.asyncio as aioredis

    from service.moderation.moderators import ModeratorStore
    from service.store.keys import Keys

    client = aioredis.Redis.from_url(redis_url)
    store = ModeratorStore(client, Keys(PREFIX))
    tokens = [
        (await store.add(f"bench-mod-{i}-{time.time_ns()}", "moderator"))[1] for i in range(count)
    ]
    await client.aclose()
    return tokens


async def approve_everything(redis_url: str) -> None:
    """Publish what the POST run wrote so that GET pages carry real comments."""
    import redis.asyncio as aioredis

    from service.comments.ids import shard_of_comment
    from service.store.keys import Keys

    client = aioredis.Redis.from_url(redis_url)
    keys = Keys(PREFIX)
    async for key in client.scan_iter(match=f"{PREFIX}:*:c:*", count=1000):
        name = key.decode()
        if name.count(":") != 3:
            continue  # a comment's log or reports, not the comment
        cid = name.rsplit(":", 1)[1]
        article = (await client.hget(key, "a") or b"").decode()
        shard = shard_of_comment(cid)
        if article and shard is not None:
            await client.hset(key, "s", "approved")
            await client.zadd(keys.article_public(shard, article), {cid: 0})
    await client.aclose()


async def memory_per_comment(redis_url: str) -> tuple[int, float, float]:
    """(comments, bytes of Redis memory per comment, average body bytes)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    count, body_bytes = 0, 0
    async for key in client.scan_iter(match=f"{PREFIX}:*:c:*", count=1000):
        if key.decode().count(":") == 3:
            count += 1
            body_bytes += await client.hstrlen(key, "b")
    used = int((await client.info("memory"))["used_memory"])
    await client.aclose()
    return count, used / max(count, 1), body_bytes / max(count, 1)


class Processes:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, args: list[str], env: dict[str, str] | None = None, name: str = "proc"
    ) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.running:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.running.clear()


def isso_venv(var: Path) -> Path:
    venv = var / "isso"
    if not (venv / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "isso", "gunicorn"], check=True
        )
    return venv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--scenarios", nargs="+", default=["post", "get", "mix"], choices=list(SCENARIO_LUA)
    )
    parser.add_argument("--readers", type=int, default=8000, help="distinct readers posting")
    parser.add_argument("--isso", action="store_true", help="also run Isso (pip installs it)")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run bench/floor_app.py: the bare app plus the body checks and the rules "
        "every post must get, without Redis (an upper bound for the service's posts)",
    )
    parser.add_argument(
        "--policy",
        choices=["volume", "shipped"],
        default="volume",
        help="volume (default): the shipped rules without per-reader rate, flood and "
        "first-comment limits, so every post is screened and stored; shipped: all of them",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="sd-bench-"))
    redis = RedisProcess(tmp / "redis")
    redis.start()
    procs = Processes(tmp)
    results: dict[tuple[int, str, str], dict[str, float]] = {}
    memory = None
    try:
        rules = volume_policy(tmp) if args.policy == "volume" else None
        readers = asyncio.run(make_readers(redis.url, args.readers))
        (tmp / "tokens").write_text("\n".join(readers))
        (tmp / "moderators").write_text("\n".join(asyncio.run(make_moderators(redis.url, 8))))
        wenv = {
            "BENCH_TOKENS_FILE": str(tmp / "tokens"),
            "BENCH_MODERATORS_FILE": str(tmp / "moderators"),
        }
        for workers in args.workers:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SD_")}
            service_port, bare_port = free_port(), free_port()
            env.update(SD_REDIS_URL=redis.url, SD_SERVER_PORT=str(service_port), SD_REDIS_KEY_PREFIX=PREFIX,
                       SD_REDIS_DATA_DIR=str(tmp / "var"))  # fmt: skip
            if rules is not None:
                env["SD_RULES_PATH"] = str(rules)
            service = procs.start(
                [sys.executable, "-m", "service", "serve", "--config", "config/development.toml", "--workers", str(workers)],
                env, f"service-{workers}",
            )  # fmt: skip
            bare = [
                procs.start(
                    [sys.executable, str(ROOT / "bench" / "bare_app.py"), str(bare_port)],
                    None,
                    "bare",
                )
                for _ in range(workers)
            ]
            servers = {"bare": [p.pid for p in bare], "service": [service.pid]}
            targets = [("bare", bare_port, wenv), ("service", service_port, wenv)]
            if args.floor:
                floor_port = free_port()
                floor = [
                    procs.start(
                        [
                            sys.executable,
                            str(ROOT / "bench" / "floor_app.py"),
                            str(floor_port),
                            str(rules or ROOT / "config" / "rules.toml"),
                        ],
                        None,
                        "floor",
                    )
                    for _ in range(workers)
                ]
                servers["floor"] = [p.pid for p in floor]
                targets.append(("floor", floor_port, wenv))
            if args.isso:
                isso_port = free_port()
                venv = isso_venv(ROOT / "var" / "bench")
                cfg = tmp / "isso.cfg"
                cfg.write_text(
                    f"[general]\ndbpath = {tmp / f'isso-{workers}.db'}\nhost = http://127.0.0.1:{bare_port}/\n"
                    "[moderation]\nenabled = false\n[guard]\nenabled = false\n"
                    f"[server]\nlisten = http://127.0.0.1:{isso_port}\n"
                )
                isso = procs.start(
                    [str(venv / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{isso_port}",
                     "--log-level", "warning", "isso.run"],
                    {**os.environ, "ISSO_SETTINGS": str(cfg)}, f"isso-{workers}",
                )  # fmt: skip
                targets.append(("isso", isso_port, {"BENCH_ISSO": "1"}))
                servers["isso"] = [isso.pid]
            wait_http(f"http://127.0.0.1:{service_port}/readyz")
            wait_http(f"http://127.0.0.1:{bare_port}/api/v1/articles/x/comments")
            if args.floor:
                wait_http(f"http://127.0.0.1:{floor_port}/api/v1/articles/x/comments")
            if args.isso:
                try:
                    wait_http(f"http://127.0.0.1:{isso_port}/?uri=%2Fx")
                except SystemExit:
                    print((tmp / f"isso-{workers}.log").read_text()[-3000:])
                    raise
            for scenario in args.scenarios:
                if scenario == "get" and workers == args.workers[0]:
                    if "post" not in args.scenarios[: args.scenarios.index("get")]:
                        # Nothing posted yet: pages would be empty beside the bare app's full ones.
                        wrk(service_port, "post", 3, args.connections, wenv)
                    asyncio.run(approve_everything(redis.url))
                for name, port, extra in targets:
                    if name == "isso" and scenario == "mix":
                        continue  # Isso has no moderators' API
                    if name == "floor" and scenario != "post":
                        continue  # its pages are the bare app's
                    cpu_before = tree_cpu_seconds(servers[name])
                    result = wrk(port, scenario, args.duration, args.connections, extra)
                    served = result["rps"] * args.duration
                    result["cpu_us"] = (tree_cpu_seconds(servers[name]) - cpu_before) / served * 1e6
                    results[(workers, scenario, name)] = result
            if memory is None:
                memory = asyncio.run(memory_per_comment(redis.url))
            procs.stop_all()
    finally:
        procs.stop_all()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n{args.connections} connections, {args.duration} s per run, loopback, {os.cpu_count()} cores shared by wrk, Redis and the servers; {args.policy} policy\n"
    )
    print(
        f"{'workers':<8}{'scenario':<9}{'target':<9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}{'vs bare':>9}{'CPU us/req':>12}"
    )
    for (workers, scenario, name), r in results.items():
        bare = results[(workers, scenario, "bare")]["rps"]
        print(
            f"{workers:<8}{scenario:<9}{name:<9}{r['rps']:>9.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
            f"{r['bad']:>9.0f}{r['errors']:>8.0f}{r['rps'] / bare:>8.0%}{r['cpu_us']:>12.0f}"
        )
    if memory and memory[0]:
        count, per_comment, body = memory
        print(
            f"\nRedis memory: {count} comments, {per_comment:.0f} bytes each in all "
            f"(bodies average {body:.0f} bytes; {per_comment - body:.0f} bytes beyond the text, "
            "including readers, sessions and rate-limit counters)"
        )


if __name__ == "__main__":
    main()
