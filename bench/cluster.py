"""Scale-out benchmark: posting and moderating through one service process against one Redis and
against a 3-primary Redis Cluster, in the same run, over loopback.

Starts everything itself (a Redis, then a cluster of redis-server processes joined by
`redis-cli --cluster create`, one service process for each) and stops it all, within about two
minutes at the default settings. For each backend: readers post comments for `--duration`
seconds (a policy without the per-reader rate rules, so the figure is the service's, not the
policy's), then moderators claim batches and decide them (bulk decisions). Finally, in this
process, the coalescer on the cluster: concurrent script calls batched into cluster pipelines
beside the same calls sent one by one.

    python bench/cluster.py [--duration 8] [--clients 32] [--moderators 8] [--replicas 0]

CAVEAT printed with the figures: every primary, the service and the load generator share this
machine's cores, so the cluster cannot be faster here than one Redis; the figures show what the
cluster costs per operation, not what it gains on separate machines (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import cpu_seconds, volume_policy, wait_http  # noqa: E402

from tests.redis_cluster import RedisClusterProcess  # noqa: E402
from tests.redis_server import RedisProcess, free_port  # noqa: E402

PREFIX = "bench"
API = "/api/v1/moderation"


async def seed_people(env: dict[str, str], readers: int, moderators: int) -> tuple[list, list]:
    from service.auth.sessions import SessionStore
    from service.auth.users import UserStore
    from service.moderation.moderators import ModeratorStore
    from service.settings import load_settings
    from service.store.client import close, connect
    from service.store.keys import Keys

    settings = load_settings(environ=env)
    client = connect(settings.redis)
    keys = Keys(PREFIX)

    async def reader(i: int) -> str:
        user = await UserStore(client, keys).upsert("bench", f"u{i}", f"Bench reader {i}")
        return (await SessionStore(client, keys, 3600).create(user.id))[0]

    tokens = await asyncio.gather(*(reader(i) for i in range(readers)))
    mods = ModeratorStore(client, keys)
    mod_tokens = [(await mods.add(f"bench{i}", "moderator"))[1] for i in range(moderators)]
    await close(client)
    return list(tokens), mod_tokens


async def post_load(base: str, tokens: list[str], clients: int, duration: float) -> dict:
    counter = itertools.count()
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + duration

    async def poster(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            n = next(counter)
            auth = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            body = {"body": f"Comment {n} on the budget debate, {random.random():.6f}."}
            async with session.post(
                f"{base}/api/v1/articles/a-{n % 500}/comments", json=body, headers=auth
            ) as resp:
                await resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(poster(session) for _ in range(clients)))
        elapsed = time.monotonic() - started
    return {"rate": statuses.get(201, 0) / elapsed, "statuses": statuses}


def decide_load(port: int, tokens: list[str], batch: int, duration: float, tmp: Path) -> dict:
    """Claim-and-decide loop, bulk decisions: the same loop as bench/moderation.py."""
    from moderation import run as moderation_loop

    tokens_file = tmp / "moderator-tokens"
    tokens_file.write_text("\n".join(tokens))
    rate, _ = moderation_loop(port, tokens_file, len(tokens), batch, duration, bulk=True)
    return {"rate": rate}


def measure_backend(
    name: str, redis_env: dict[str, str], redis_pids: list[int], args: argparse.Namespace, tmp: Path
):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SD_")},
        **redis_env,
        "SD_SERVER_PORT": str(port),
        "SD_REDIS_KEY_PREFIX": PREFIX,
        "SD_RULES_PATH": str(volume_policy(tmp / name)),
        "SD_REDIS_DATA_DIR": str(tmp / name / "var"),
    }
    sd_env = {k: v for k, v in env.items() if k.startswith("SD_")}
    tokens, mod_tokens = asyncio.run(seed_people(sd_env, 500, args.moderators))
    service = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--config", "config/development.toml"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        cpu, rcpu = cpu_seconds(service.pid), sum(map(cpu_seconds, redis_pids))
        posts = asyncio.run(post_load(base, tokens, args.clients, args.duration))
        post_cpu = cpu_seconds(service.pid) - cpu
        post_rcpu = sum(map(cpu_seconds, redis_pids)) - rcpu
        cpu, rcpu = cpu_seconds(service.pid), sum(map(cpu_seconds, redis_pids))
        decisions = decide_load(port, mod_tokens, args.batch, args.duration, tmp / name)
        decide_cpu = cpu_seconds(service.pid) - cpu
        decide_rcpu = sum(map(cpu_seconds, redis_pids)) - rcpu
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(15)
    posted = max(1.0, posts["rate"] * args.duration)
    decided = max(1.0, decisions["rate"] * args.duration)
    return {
        "posts": posts["rate"],
        "post_cpu_ms": 1000 * post_cpu / posted,
        "post_redis_ms": 1000 * post_rcpu / posted,
        "decide_redis_ms": 1000 * decide_rcpu / decided,
        "statuses": posts["statuses"],
        "decisions": decisions["rate"],
        "decide_cpu_ms": 1000 * decide_cpu / decided,
    }


async def coalescer_on_cluster(seeds: list[str], duration: float, tasks: int) -> dict[str, Any]:
    """Context reads (the first script of every post) from `tasks` concurrent callers, through
    the coalescer's cluster pipelines, then sent one by one."""
    from service.settings import load_settings
    from service.store.client import Scripts, connect
    from service.store.coalesce import Coalescer
    from service.store.keys import Keys

    settings = load_settings(environ={}, overrides={"redis.cluster_nodes": seeds})
    keys = Keys(PREFIX)
    out: dict[str, Any] = {}
    for label, batches in (("cluster pipelines", True), ("one by one", False)):
        client = connect(settings.redis)
        coalescer = Coalescer(client, cluster_batches=batches)
        scripts = Scripts(client, coalescer)
        done = 0
        errors: dict[str, int] = {}
        deadline = time.monotonic() + duration

        async def caller(
            i: int,
            scripts: Scripts = scripts,
            deadline: float = deadline,
            errors: dict[str, int] = errors,
        ) -> None:
            nonlocal done
            for n in itertools.count():
                if time.monotonic() >= deadline:
                    return
                uid = f"{i:04x}{n % 50:04x}"
                try:
                    await scripts.context(
                        keys=[keys.reader_rate(uid), keys.reader_flood(uid), keys.user(uid)],
                        args=[int(time.time() * 1000), 30_000, 600_000, "fp", 60_000],
                    )
                except Exception as exc:  # counted and shown: see docs/scaling.md
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                done += 1

        cpu = time.process_time()
        started = time.monotonic()
        await asyncio.gather(*(caller(i) for i in range(tasks)))
        elapsed = time.monotonic() - started
        out[label] = (done / elapsed, 1000 * (time.process_time() - cpu) / max(1, done), errors)
        await coalescer.close()
        await client.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=32, help="concurrent posting readers")
    parser.add_argument("--moderators", type=int, default=8)
    parser.add_argument("--batch", type=int, default=20, help="comments per claim")
    parser.add_argument("--replicas", type=int, default=0, help="replicas per cluster primary")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sd-bench-cluster-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        single = RedisProcess(tmp / "single")
        single.start()
        try:
            assert single.process is not None
            results["one Redis"] = measure_backend(
                "single", {"SD_REDIS_URL": single.url}, [single.process.pid], args, tmp
            )
        finally:
            single.stop()
        cluster = RedisClusterProcess(tmp / "cluster", replicas=args.replicas)
        cluster.start()
        try:
            pids = [n.process.pid for n in cluster.nodes if n.process is not None]
            results["3-primary cluster"] = measure_backend(
                "cluster", {"SD_REDIS_CLUSTER_NODES": ",".join(cluster.seeds)}, pids, args, tmp
            )
            coalescing = asyncio.run(coalescer_on_cluster(cluster.seeds, args.duration / 2, 64))
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n1 service process, {args.clients} posting clients, {args.moderators} moderators "
        f"(claims of {args.batch}, bulk decisions), {args.duration:.0f} s each, loopback; "
        f"cluster: 3 primaries, {args.replicas} replica(s) each"
    )
    print(
        f"CAVEAT: all primaries, the service and the load generator share this machine's "
        f"{os.cpu_count()} cores: the cluster's gain (one primary's load spread over three "
        "machines) cannot show here; read the CPU per operation, and docs/scaling.md."
    )
    print("CPU ms per operation: the service process's, and all Redis processes' together")
    print(
        f"{'backend':<20}{'posts/s':>9}{'service':>9}{'Redis':>8}"
        f"{'decisions/s':>13}{'service':>9}{'Redis':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<20}{r['posts']:>9.0f}{r['post_cpu_ms']:>9.2f}{r['post_redis_ms']:>8.3f}"
            f"{r['decisions']:>13.0f}{r['decide_cpu_ms']:>9.2f}{r['decide_redis_ms']:>8.3f}"
            f"   post statuses {r['statuses']}"
        )
    print("\ncoalescer on the cluster, 64 concurrent context reads (this process):")
    for label, (rate, cpu, errors) in coalescing.items():
        print(f"  {label:<18}{rate:>8.0f} calls/s  {cpu:.3f} ms CPU per call  errors {errors}")


if __name__ == "__main__":
    main()
