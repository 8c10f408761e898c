"""Count the CPU instructions a server spends per request, under valgrind's callgrind.

    .venv/bin/python bench/http_instructions.py                   # GET: bare app, service
    .venv/bin/python bench/http_instructions.py --scenario post
    .venv/bin/python bench/http_instructions.py --tree ../old      # also another checkout

Throughput on a shared 2-core machine moves by a fifth from run to run (docs/performance.md);
instruction counts move by a few per cent, so they tell a small change in the request path
from the neighbours' load. Each server runs alone under callgrind (about 50 times slower): it
is warmed up with wrk, its counters are zeroed, wrk drives it for `--seconds`, and the counters
are dumped; instructions over requests answered is the figure (all threads, the log writer's
included). Under callgrind a worker answers ~100 pages a second, so the service runs with
`comments.page_cache_seconds = 60`: pages are then mostly cache hits, as they are at full speed
with the default one second. Needs valgrind and wrk; takes 1-2 minutes per server.

With `--scenario post` the floor is measured too (`bench/floor_app.py`: the bare app plus the
body checks and the rules, no Redis), which no version of the service can go below.

`--tree DIR` measures the service from another checkout too (a `git worktree` of an older
commit, say) against the same Redis, so that two versions are compared in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import volume_policy, wait_http  # noqa: E402
from load import (  # noqa: E402
    PREFIX,
    approve_everything,
    make_readers,
    wrk,
)

from tests.redis_server import RedisProcess, free_port  # noqa: E402

SERVE = ["serve", "--config", "config/development.toml"]  # one process, no supervisor


def drive(port: int, scenario: str, seconds: int, env: dict[str, str]) -> tuple[int, int]:
    """(requests answered, non-2xx) from one wrk thread with 16 connections; a slow server
    under callgrind gets 30 s per request."""
    result = wrk(port, scenario, seconds, 16, env, threads=1, timeout=30)
    return int(result["requests"]), int(result["bad"])


def measure(
    cmd: list[str], env: dict[str, str], cwd: Path, port: int, ready: str, args: argparse.Namespace,
    wenv: dict[str, str], tmp: Path, name: str,
) -> tuple[int, int, int]:  # fmt: skip
    """(instructions, requests, non-2xx) of one server under callgrind."""
    out = tmp / f"callgrind-{name}"
    with open(tmp / f"{name}.log", "w") as log:
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
            env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_http(ready, timeout=300)
        drive(port, args.scenario, 8, wenv)  # warm up: imports, caches, connections
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True, check=True)
        requests, bad = drive(port, args.scenario, args.seconds, wenv)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    dumped = (out.parent / f"{out.name}.1").read_text()
    match = re.search(r"^summary: (\d+)", dumped, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no instruction count in {out}.1")
    return int(match.group(1)), requests, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["get", "post"], default="get")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per server")
    parser.add_argument("--tree", action="append", default=[], help="another checkout to measure")
    args = parser.parse_args()
    for tool in ("valgrind", "callgrind_control", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed")

    tmp = Path(tempfile.mkdtemp(prefix="sd-instructions-"))
    redis = RedisProcess(tmp / "redis")
    redis.start()
    rows: list[tuple[str, int, int, int]] = []
    try:
        tokens = asyncio.run(make_readers(redis.url, 2000))
        (tmp / "tokens").write_text("\n".join(tokens))
        wenv = {"BENCH_TOKENS_FILE": str(tmp / "tokens")}
        rules = volume_policy(tmp)
        port = free_port()
        bare = [sys.executable, str(ROOT / "bench" / "bare_app.py"), str(port)]
        page = f"http://127.0.0.1:{port}/api/v1/articles/x/comments"
        rows.append(("bare aiohttp", *measure(bare, dict(os.environ), ROOT, port, page, args, wenv, tmp, "bare")))  # fmt: skip
        if args.scenario == "post":  # the floor: bare app + body checks + rules (load.py --floor)
            port = free_port()
            floor = [sys.executable, str(ROOT / "bench" / "floor_app.py"), str(port), str(rules)]
            page = f"http://127.0.0.1:{port}/api/v1/articles/x/comments"
            rows.append(("floor (checks and rules, no Redis)", *measure(floor, dict(os.environ), ROOT, port, page, args, wenv, tmp, "floor")))  # fmt: skip
        for i, tree in enumerate([ROOT, *map(Path, args.tree)]):
            tree = tree.resolve()
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("SD_")}
            env.update(SD_REDIS_URL=redis.url, SD_SERVER_PORT=str(port), SD_REDIS_KEY_PREFIX=PREFIX,
                       SD_REDIS_DATA_DIR=str(tmp / f"var-{i}"), SD_RULES_PATH=str(rules),
                       SD_COMMENTS_PAGE_CACHE_SECONDS="60", PYTHONPATH=str(tree))  # fmt: skip
            serve = [sys.executable, "-m", "service", *SERVE]
            if args.scenario == "get" and i == 0:  # pages with comments on them
                filler = subprocess.Popen(serve, env=env, cwd=tree, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)  # fmt: skip
                try:
                    wait_http(f"http://127.0.0.1:{port}/readyz")
                    wrk(port, "post", 3, 64, wenv)
                finally:
                    filler.terminate()
                    filler.wait(timeout=60)
                asyncio.run(approve_everything(redis.url))
                time.sleep(0.5)
            name = "service" if i == 0 else f"service at {tree}"
            ready = f"http://127.0.0.1:{port}/readyz"
            rows.append((name, *measure(serve, env, tree, port, ready, args, wenv, tmp, f"service-{i}")))  # fmt: skip
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    bare_per = rows[0][1] / rows[0][2]
    print(f"\n{args.scenario.upper()}, {args.seconds} s per server under callgrind\n")
    head = ("server", "requests", "non-2xx", "instructions/request", "x bare")
    print(f"{head[0]:40s} {head[1]:>9s} {head[2]:>8s} {head[3]:>21s} {head[4]:>7s}")
    for name, instructions, requests, bad in rows:
        per = instructions / requests
        print(f"{name:40s} {requests:9d} {bad:8d} {per:21,.0f} {per / bare_per:7.2f}")


if __name__ == "__main__":
    main()
