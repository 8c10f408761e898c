"""Article controls: close and reopen comments, and the moderation mode per article.

Kept in the article's meta hash (`a:<article>` in its shard, beside intake's counters):
`closed` ("1"), `mode` (pre | post; absent = the site's), `first` (ms of the first comment,
for closing automatically). Each change and its audit entry go in one MULTI on the shard's slot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..comments.ids import ARTICLE_ID
from ..comments.model import iso
from ..errors import Forbidden, InvalidRequest
from ..store.client import decode
from ..store.keys import shard_of
from .moderators import Moderator
from .queue import ModerationQueue

MODES = ("pre", "post")
DAY_MS = 86_400_000


def auto_closes_at(first_comment_ms: int, auto_close_days: int) -> int:
    """When an article whose first comment came at `first_comment_ms` closes by itself (ms),
    or 0 for never (`moderation.auto_close_days` of 0, or no comment yet)."""
    if auto_close_days <= 0 or not first_comment_ms:
        return 0
    return first_comment_ms + auto_close_days * DAY_MS


@dataclass(frozen=True)
class ArticleState:
    article_id: str
    closed: bool  # closed by a moderator
    mode: str | None  # None: the site's mode
    first_comment_at: int  # ms; 0 = no comment yet
    comment_count: int

    def closes_at(self, auto_close_days: int) -> int:
        """When comments close by themselves (ms), or 0 for never."""
        return auto_closes_at(self.first_comment_at, auto_close_days)

    def is_open(self, auto_close_days: int, now_ms: int | None = None) -> bool:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        closes = self.closes_at(auto_close_days)
        return not self.closed and not (closes and now_ms >= closes)

    def effective_mode(self, site_mode: str) -> str:
        return self.mode or site_mode

    def to_json(self, site_mode: str, auto_close_days: int) -> dict[str, Any]:
        closes = self.closes_at(auto_close_days)
        return {
            "article_id": self.article_id,
            "closed": self.closed,
            "open": self.is_open(auto_close_days),
            "mode": self.mode,
            "effective_mode": self.effective_mode(site_mode),
            "first_comment_at": iso(self.first_comment_at) if self.first_comment_at else None,
            "closes_at": iso(closes) if closes else None,
            "comment_count": self.comment_count,
        }


def check_article_id(article_id: str) -> str:
    if not ARTICLE_ID.match(article_id):
        raise InvalidRequest("Not an article id.", field="article_id")
    return article_id


async def article_state(queue: ModerationQueue, article_id: str) -> ArticleState:
    shard = shard_of(check_article_id(article_id))
    closed, mode, first, total = await queue.redis.hmget(
        queue.keys.article_meta(shard, article_id), ["closed", "mode", "first", "total"]
    )
    return ArticleState(
        article_id,
        decode(closed) == "1",
        decode(mode) or None,
        int(first or 0),
        int(total or 0),
    )


def check_open(state: ArticleState, auto_close_days: int) -> None:
    """For intake: refuse a comment on a closed article."""
    if not state.is_open(auto_close_days):
        raise Forbidden(
            "Comments on this article are closed.",
            code="comments_closed",
            article_id=state.article_id,
        )


async def control(
    queue: ModerationQueue,
    moderator: Moderator,
    article_id: str,
    *,
    closed: bool | None,
    mode: str | None,
    reason: str,
    note: str = "",
) -> ArticleState:
    """Close or reopen, and/or set the mode ("site" returns to the site's)."""
    if mode is not None and mode not in (*MODES, "site"):
        raise InvalidRequest("The mode must be pre, post or site.", field="mode")
    if reason and reason not in queue.settings.reason_codes:
        raise InvalidRequest(
            "The reason must be a code of the standards-board policy.",
            field="reason",
            choices=list(queue.settings.reason_codes),
        )
    shard = shard_of(check_article_id(article_id))
    meta = queue.keys.article_meta(shard, article_id)
    entries: list[dict[Any, Any]] = []
    async with queue.redis.pipeline(transaction=True) as pipe:
        if closed is not None:
            pipe.hset(meta, "closed", "1" if closed else "0")
            entries.append({"act": "close" if closed else "reopen"})
        if mode == "site":
            pipe.hdel(meta, "mode")
            entries.append({"act": "mode", "mode": "site"})
        elif mode is not None:
            pipe.hset(meta, "mode", mode)
            entries.append({"act": "mode", "mode": mode})
        for entry in entries:
            pipe.xadd(
                queue.keys.audit(shard),
                {**entry, "by": f"m:{moderator.id}", "a": article_id, "why": reason, "note": note},
                maxlen=queue.settings.audit_max_entries,
                approximate=True,
            )
        await pipe.execute()
    return await article_state(queue, article_id)
