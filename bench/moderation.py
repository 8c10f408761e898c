"""Moderation benchmark: decisions per second through one service process, over loopback.

Starts its own Redis on a private port and the service (one process, `serve`), seeds pending
comments straight through the intake script, then runs moderators that claim a batch and decide
each comment of it, for a fixed time: first one decision per request, then one bulk decision per
batch. The moderators are wrk threads (one connection each), so the client costs little of the
two cores it shares with the service. Prints decisions per second for each and the service's
CPU per decision. Everything stops by itself. Needs `wrk`.

    python bench/moderation.py [--duration 10] [--moderators 16] [--batch 20]
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

from common import cpu_seconds, store_pending, wait_http  # noqa: E402

from tests.redis_server import RedisProcess, free_port  # noqa: E402

PREFIX = "bench"
API = "/api/v1/moderation"


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
        await store_pending(store, comment)

    for start in range(0, count, 500):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 500))))
    mods = ModeratorStore(client, keys)
    tokens = [(await mods.add(f"bench{i}", "moderator"))[1] for i in range(moderators)]
    await client.aclose(close_connection_pool=True)
    return tokens


# One wrk thread per moderator, each with one connection, so a thread's Lua state is that
# moderator's: claim a batch, decide it (one by one or in bulk), claim again. wrk is C: the
# client costs far less CPU than the service it measures, on the same two cores.
MODERATOR_LUA = """
local tokens, queue, state = {}, {}, "claim"
decided = 0  -- a global: done() reads each thread's with thread:get
local f = io.open(os.getenv("BENCH_TOKENS_FILE"))
for t in f:lines() do tokens[#tokens + 1] = t end
f:close()
local bulk, batch = os.getenv("BENCH_BULK") == "1", os.getenv("BENCH_BATCH")
local threads, next_id = {}, 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  threads[#threads + 1] = thread
end
local headers
function init(args)
  headers = {["Content-Type"] = "application/json",
             ["Authorization"] = "Bearer " .. tokens[(id - 1) % #tokens + 1]}
end
local DECIDE = '"action": "approve", "reason": "acceptable"'
function request()
  if #queue > 0 and bulk then
    state = "bulk"
    local ids = '["' .. table.concat(queue, '", "') .. '"]'
    queue = {}
    return wrk.format("POST", "/api/v1/moderation/decisions", headers,
      '{"ids": ' .. ids .. ', ' .. DECIDE .. '}')
  elseif #queue > 0 then
    state = "one"
    return wrk.format("POST", "/api/v1/moderation/comments/" .. table.remove(queue) .. "/decision",
      headers, '{' .. DECIDE .. '}')
  end
  state = "claim"
  return wrk.format("POST", "/api/v1/moderation/claims", headers,
    '{"view": "pending", "count": ' .. batch .. '}')
end
function response(status, hdrs, body)
  if status ~= 200 then return end
  if state == "claim" then
    for cid in body:gmatch('"id":%s?"([0-9A-HJKMNP-TV-Z]+)"') do
      if #cid == 28 then queue[#queue + 1] = cid end
    end
  elseif state == "one" then
    decided = decided + 1
  else
    for _ in body:gmatch('"outcome":%s?"applied"') do decided = decided + 1 end
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("decided") end
  io.write(string.format("DECIDED %d %.3f %d\\n", total, summary.duration / 1e6,
    summary.errors.status))
end
"""


def run(port: int, tokens_file: Path, moderators: int, batch: int, duration: float, bulk: bool):
    """(decisions per second, non-200 answers) for `duration` seconds of wrk."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(MODERATOR_LUA)
    env = {
        **os.environ,
        "BENCH_TOKENS_FILE": str(tokens_file),
        "BENCH_BULK": "1" if bulk else "0",
        "BENCH_BATCH": str(batch),
    }
    out = subprocess.run(
        ["wrk", f"-t{moderators}", f"-c{moderators}", f"-d{duration:.0f}s", "-s", f.name,
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, timeout=duration + 60,
    )  # fmt: skip
    os.unlink(f.name)
    match = re.search(r"DECIDED (\d+) ([\d.]+) (\d+)", out.stdout)
    if match is None:
        raise SystemExit(f"wrk failed: {out.stdout} {out.stderr}")
    decided, seconds, bad = int(match[1]), float(match[2]), int(match[3])
    return int(decided / seconds), bad


def measured(pid: int, port: int, tokens_file: Path, args: argparse.Namespace, bulk: bool):
    """(decisions per second, service CPU milliseconds per decision, non-200 answers)."""
    cpu = cpu_seconds(pid)
    rate, bad = run(port, tokens_file, args.moderators, args.batch, args.duration, bulk)
    decisions = max(1, rate * args.duration)
    return rate, 1000 * (cpu_seconds(pid) - cpu) / decisions, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--moderators", type=int, default=16)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--comments", type=int, default=60_000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

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
        tokens_file = tmp / "tokens"
        tokens_file.write_text(
            "\n".join(asyncio.run(seed(redis.url, args.comments, args.moderators)))
        )
        single, single_cpu, single_bad = measured(service.pid, port, tokens_file, args, bulk=False)
        bulk, bulk_cpu, bulk_bad = measured(service.pid, port, tokens_file, args, bulk=True)
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
        f"{single_cpu:.3f} ms CPU each (~{1000 / single_cpu:.0f}/s per core), "
        f"{single_bad} non-200"
    )
    print(
        f"claim + one bulk decision        : {bulk:>7} decisions/s, "
        f"{bulk_cpu:.3f} ms CPU each (~{1000 / bulk_cpu:.0f}/s per core), {bulk_bad} non-200"
    )


if __name__ == "__main__":
    main()
