"""Redis memory per stored comment, beyond its text.

Stores comments through the real intake script (the same one the service runs) into a private
Redis, from 500 readers over 200 articles, and reads INFO memory before and after. Prints the
bytes per comment in all, the average body size, and the difference, for comments waiting in the
queue and after they are approved (queue entry gone, public list entry added).

    python bench/memory.py [--comments 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import store_pending  # noqa: E402

from tests.redis_server import RedisProcess  # noqa: E402

BODY = (
    "정부의 새 예산안은 지역 병원과 학교에 대한 지원을 늘린다고 하지만 세부 내용이 부족해 보입니다. "
    "The plan sounds fine on paper, but who pays for it in year {}?"
)


async def run(url: str, count: int, listpack_value: int) -> None:
    import redis.asyncio as aioredis

    from service.comments.ids import new_comment_id
    from service.comments.model import Comment
    from service.comments.store import CommentStore
    from service.store.client import Scripts
    from service.store.keys import Keys, shard_of

    client = aioredis.Redis.from_url(url)
    keys = Keys("sd")
    store = CommentStore(client, keys, Scripts(client))
    await client.config_set("hash-max-ziplist-value", listpack_value)
    await client.execute_command("MEMORY", "PURGE")
    before = int((await client.info("memory"))["used_memory"])
    body_bytes = 0
    ids: list[tuple[str, str]] = []
    for start in range(0, count, 50):
        batch = []
        for i in range(start, min(count, start + 50)):
            article = f"2026-11-26-story-{i % 200}"
            body = BODY.format(i)
            body_bytes += len(body.encode())
            now = int(time.time() * 1000)
            comment = Comment(
                id=new_comment_id(shard_of(article), now),
                article_id=article,
                author_id=f"{i % 500:016x}",
                author_name=f"Reader {i % 500}",
                author_avatar="",
                body=body,
                status="pending",
                created_at=now,
            )
            ids.append((comment.id, article))
            batch.append(store_pending(store, comment))
        await asyncio.gather(*batch)
    await client.execute_command("MEMORY", "PURGE")
    queued = int((await client.info("memory"))["used_memory"])
    # What approval leaves behind: the queue entry acknowledged away, a public-list entry added.
    for shard in range(32):
        await client.delete(keys.queue(shard, "pending"))
    async with client.pipeline(transaction=False) as pipe:
        for cid, article in ids:
            shard = shard_of(article)
            pipe.hset(keys.comment(shard, cid), "s", "approved")
            pipe.hdel(keys.comment(shard, cid), "q:pending")
            pipe.zadd(keys.article_public(shard, article), {cid: 0})
        await pipe.execute()
    await client.execute_command("MEMORY", "PURGE")
    approved = int((await client.info("memory"))["used_memory"])
    await client.aclose()
    body = body_bytes / count
    for label, used in (("waiting in the queue", queued), ("approved and public", approved)):
        per = (used - before) / count
        print(
            f"{label:<22} {per:7.0f} bytes per comment; body {body:.0f} bytes; beyond the text {per - body:5.0f} bytes"
        )


async def _flush(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    await client.flushall()  # the bench's own private server
    await client.config_set("hash-max-ziplist-value", 64)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sd-mem-"))
    redis = RedisProcess(tmp / "redis")
    redis.start()
    try:
        for value in (64, 1024):
            label = "Redis's default (64)" if value == 64 else f"{value} (as shipped)"
            print(f"hash-max-listpack-value {label}:")
            asyncio.run(run(redis.url, args.comments, value))
            asyncio.run(_flush(redis.url))
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
