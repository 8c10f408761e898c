"""Comment intake: check the body, screen it, store and queue it in one step.

Plain Python over the comment store; the HTTP handler only parses and shapes the answer. The
standards-board rules plug in through `Screening` (the default lets everything through to the
moderators).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import metrics
from ..auth.users import User
from ..errors import CommentRejected, Conflict, Forbidden
from ..settings import CommentSettings
from ..store.keys import shard_of
from .ids import new_comment_id
from .length import checked_body
from .model import Comment
from .store import CommentStore, Stored

ACTIONS = ("approve", "flag", "hold", "reject")


@dataclass(frozen=True)
class Screened:
    action: str  # approve | flag | hold | reject
    reasons: list[dict[str, Any]] = field(default_factory=list)  # for the writer
    hits: list[dict[str, Any]] = field(default_factory=list)  # for moderators
    mode: str | None = None  # the article's own moderation mode, overriding the site's


class Screening(Protocol):
    async def screen(
        self, body: str, author: User, article_id: str, client_ip: str = ""
    ) -> Screened: ...

    def accepted(
        self, body: str, author: User, comment_id: str, client_ip: str
    ) -> list[Awaitable[Any]]:
        """Called as a screened comment that is not refused is stored: what counts it, to be
        awaited together with the store."""


class LetThrough:
    """No rules: every comment goes to the moderators as it is."""

    async def screen(
        self, body: str, author: User, article_id: str, client_ip: str = ""
    ) -> Screened:
        return Screened("approve")

    def accepted(
        self, body: str, author: User, comment_id: str, client_ip: str
    ) -> list[Awaitable[Any]]:
        return []


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def check_author(author: User, now_ms: int) -> None:
    status = author.effective_status(now_ms)
    if status == "banned":
        raise Forbidden(
            "Your account may not post comments.", code="user_banned", reason=author.status_reason
        )
    if status == "suspended":
        raise Forbidden(
            "Your account is suspended from posting comments.",
            code="user_suspended",
            until=author.status_until,
            reason=author.status_reason,
        )


async def submit(
    store: CommentStore,
    screening: Screening,
    settings: CommentSettings,
    author: User,
    article_id: str,
    raw_body: str,
    idempotency_key: str | None = None,
    client_ip: str = "",
) -> Stored:
    now_ms = int(time.time() * 1000)
    check_author(author, now_ms)
    body = checked_body(
        raw_body,
        min_length=settings.min_length,
        max_length=settings.max_length,
        max_codepoints=settings.max_length * 16,
    )
    screened = await screening.screen(body, author, article_id, client_ip)
    status, queue_view, publish = _placement(
        screened.action, screened.mode or settings.moderation_mode
    )
    comment = Comment(
        id=new_comment_id(shard_of(article_id), now_ms),
        article_id=article_id,
        author_id=author.id,
        author_name=author.name,
        author_avatar=author.avatar_url,
        body=body,
        status=status,
        created_at=now_ms,
        reasons=screened.reasons,
        hits=screened.hits,
    )
    fingerprint = _digest(f"{article_id}\0{body}", 16)
    idempotency_digest = _digest(idempotency_key, 32) if idempotency_key else None
    pending, finish = store.prepare(
        comment,
        queue_view=queue_view,
        publish=publish,
        idempotency_digest=idempotency_digest,
        fingerprint=fingerprint,
        idempotency_ttl=settings.idempotency_ttl,
    )
    if screened.action == "reject":
        stored = finish(await pending)
    else:
        # Counted for the context rules in the same round trip as the store (different slots,
        # so not atomically): a retry with the same Idempotency-Key is counted under the same
        # name, so it is not counted twice.
        counts = screening.accepted(body, author, idempotency_digest or comment.id, client_ip)
        result, *_ = await asyncio.gather(pending, *counts)
        stored = finish(result)
    if stored.replayed and stored.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different comment.",
            code="idempotency_key_reused",
        )
    if not stored.replayed:
        metrics.comment_screened(screened.action, screened.hits)
    if stored.comment.status == "rejected":
        raise CommentRejected(reasons=stored.comment.reasons, comment_id=stored.comment.id)
    return stored


def _placement(action: str, mode: str) -> tuple[str, str | None, bool]:
    """(status, queue view, publish now) for a screening outcome under a moderation mode."""
    if action == "reject":
        return "rejected", None, False
    if action == "hold" or mode == "pre":
        return "pending", "pending", False
    return "approved", "unmoderated", True
