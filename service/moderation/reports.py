"""Reader reports: one per reader per comment; the threshold withholds a comment and queues it
for the moderators (`reported` view), in the same atomic step as the report that reaches it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ..comments.ids import shard_of_comment
from ..comments.model import iso
from ..errors import NotFound
from ..store.client import decode
from .queue import ModerationQueue

REPORT_REASONS = ("offensive", "abusive", "spam", "personal_info", "other")
MAX_DETAILS = 500


@dataclass(frozen=True)
class Reported:
    created: bool  # False: this reader had reported the comment before (nothing changed)
    reason: str
    details: str
    at: int  # ms since the epoch
    count: int  # reports on the comment so far
    status: str  # the comment's status after the report

    def to_json(self, comment_id: str) -> dict[str, Any]:
        return {
            "comment_id": comment_id,
            "reason": self.reason,
            "details": self.details,
            "reported_at": iso(self.at),
        }


async def report_comment(
    queue: ModerationQueue, comment_id: str, reader_id: str, reason: str, details: str
) -> Reported:
    shard = shard_of_comment(comment_id)
    if shard is None:
        raise NotFound("No such comment.", code="comment_not_found")
    k = queue.keys
    outcome, report, count, status, article = await queue.scripts.report_one(
        keys=[
            k.shard(shard),
            k.comment(shard, comment_id),
            k.reports(shard, comment_id),
            k.audit(shard),
            k.queue(shard, "reported"),
        ],
        args=[
            comment_id,
            reader_id,
            reason,
            details,
            queue.settings.report_threshold,
            queue.settings.audit_max_entries,
            queue.channel,
        ],
    )
    if decode(outcome) == "missing":
        # Pending and rejected comments are not shown to readers, so not reportable either.
        raise NotFound("No such comment.", code="comment_not_found")
    data = orjson.loads(report)
    if decode(outcome) == "new" and decode(status) == "withheld":
        queue.public_changed(decode(article))
    return Reported(
        created=decode(outcome) == "new",
        reason=data["reason"],
        details=data["details"],
        at=int(data["at"]),
        count=int(count),
        status=decode(status),
    )


async def reports_of(queue: ModerationQueue, comment_id: str) -> list[dict[str, Any]]:
    """Every report on a comment, oldest first, with the reader's id (for moderators)."""
    shard = shard_of_comment(comment_id)
    if shard is None:
        return []
    raw = await queue.redis.hgetall(queue.keys.reports(shard, comment_id))
    rows = []
    for user_id, value in raw.items():
        data = orjson.loads(value)
        rows.append((int(data["at"]), decode(user_id), data))
    rows.sort()
    return [
        {
            "user_id": user_id,
            "reason": data["reason"],
            "details": data["details"],
            "reported_at": iso(at),
        }
        for at, user_id, data in rows
    ]
