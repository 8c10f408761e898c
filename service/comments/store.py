"""Comments on Redis: the atomic store-and-queue step and the reading paths."""

from __future__ import annotations

import functools
import heapq
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..settings import RedisSettings
from ..store.client import Redis, Scripts, decode, run_and_wait, submit_script
from ..store.keys import SHARDS, Keys, shard_of
from .ids import shard_of_comment
from .model import FIELDS, Comment


@dataclass(frozen=True)
class Stored:
    comment: Comment
    replayed: bool  # an Idempotency-Key matched an earlier request
    fingerprint: str  # of the earlier request when replayed


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    next_id: str | None  # the last id of this page when there is another
    total: int | None = None


class CommentStore:
    def __init__(
        self, redis: Redis, keys: Keys, scripts: Scripts, settings: RedisSettings | None = None
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        # With redis.wait_replicas, a comment is acknowledged only once replicas have it.
        self.durable = settings if settings is not None and settings.wait_replicas else None

    async def create(self, comment: Comment, **placement: Any) -> Stored:
        """Store the comment and enter it in `queue_view` in one atomic script, or return the
        comment an earlier request with the same idempotency key created. The keywords are
        `prepare`'s."""
        pending, finish = self.prepare(comment, **placement)
        return finish(await pending)

    def prepare(
        self,
        comment: Comment,
        *,
        queue_view: str | None,
        publish: bool,
        idempotency_digest: str | None,
        fingerprint: str,
        idempotency_ttl: int,
    ) -> tuple[Awaitable[Any], Callable[[Any], Stored]]:
        """`create` in two halves, so that intake can await the store together with other
        calls in one round trip: the script's reply (to await) and what turns it into the
        stored comment."""
        shard = shard_of(comment.article_id)
        k = self.keys
        idem_key = k.idempotency(shard, comment.author_id, idempotency_digest or "-")
        args: list[Any] = [
            comment.id,
            fingerprint if idempotency_digest else "",
            idempotency_ttl,
            queue_view or "",
            "1" if publish else "0",
            k.moderation_events(),
            _queued_event(comment, queue_view) if queue_view else "",
        ]
        for name, value in comment.to_hash().items():
            args += [name, value]
        keys = [
            k.shard(shard),
            k.comment(shard, comment.id),
            k.queue(shard, queue_view or "pending"),
            k.author_index(shard, comment.author_id),
            idem_key,
            k.article_public(shard, comment.article_id),
            k.article_meta(shard, comment.article_id),
        ]
        pending: Awaitable[Any]
        if self.durable is not None:
            pending = run_and_wait(self.redis, self.scripts.intake_direct, keys, args, self.durable)
        else:
            pending = submit_script(self.scripts.intake, keys, args)
        return pending, functools.partial(_stored, comment, fingerprint)

    async def get(self, comment_id: str) -> Comment | None:
        shard = shard_of_comment(comment_id)
        if shard is None:
            return None
        values = await self.redis.hmget(self.keys.comment(shard, comment_id), list(FIELDS))
        return Comment.from_values([comment_id, *values])

    async def public_page(self, article_id: str, before_id: str | None, limit: int) -> Page:
        """Approved comments of an article, newest first, strictly older than `before_id`.

        Ids sort by creation time, so a cursor holding the last id shown stays correct however
        many comments arrive or are approved meanwhile."""
        shard = shard_of(article_id)
        result = await self.scripts.page(
            keys=[self.keys.shard(shard), self.keys.article_public(shard, article_id)],
            args=[f"({before_id}" if before_id else "+", limit + 1, *FIELDS],
        )
        comments = [c for c in (Comment.from_values(v) for v in result[1:]) if c is not None]
        return _page(comments, limit, total=int(result[0]))

    async def author_page(self, author_id: str, before_id: str | None, limit: int) -> Page:
        """A reader's own comments of any status, newest first, across all shards."""
        upper = f"({before_id}" if before_id else "+"
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(SHARDS):
                pipe.zrevrangebylex(
                    self.keys.author_index(shard, author_id), upper, "-", start=0, num=limit + 1
                )
            per_shard = await pipe.execute()
        ids = heapq.nlargest(limit + 1, (decode(i) for ids in per_shard for i in ids))
        async with self.redis.pipeline(transaction=False) as pipe:
            for comment_id in ids:
                owner = shard_of_comment(comment_id)
                assert owner is not None, comment_id
                pipe.hmget(self.keys.comment(owner, comment_id), list(FIELDS))
            rows = await pipe.execute()
        found = (Comment.from_values([cid, *v]) for cid, v in zip(ids, rows, strict=True))
        comments = [c for c in found if c is not None]
        return _page(comments, limit)


def _queued_event(comment: Comment, view: str) -> str:
    """What moderators' consoles hear about new work: ids and the rules that fired, never the
    body (events, like logs, carry no comment text)."""
    rule_ids = list(dict.fromkeys(str(h.get("rule_id", "")) for h in comment.hits))
    return orjson.dumps(
        {
            "type": "queued",
            "comment_id": comment.id,
            "view": view,
            "article_id": comment.article_id,
            "rule_ids": [r for r in rule_ids if r],
        }
    ).decode()


def _page(comments: list[Comment], limit: int, total: int | None = None) -> Page:
    more = len(comments) > limit
    comments = comments[:limit]
    return Page(comments, comments[-1].id if more and comments else None, total)


def _stored(comment: Comment, fingerprint: str, result: Any) -> Stored:
    """The intake script's reply as the stored comment: this one, or the one an earlier
    request with the same idempotency key stored."""
    if result[0] == b"new":
        return Stored(comment, replayed=False, fingerprint=fingerprint)
    flat = result[2]
    earlier = Comment.from_hash(
        decode(result[3]), {decode(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
    )
    return Stored(earlier, replayed=True, fingerprint=decode(result[1]))
