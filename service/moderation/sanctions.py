"""User sanctions: ban, suspend for a time, pre-moderate, trust, lift.

The user's status and the audit entry change together (one MULTI on the user's slot). A sanction
holds at once for live sessions, because every request reads the user with its session. With
`reject_waiting`, the user's comments still waiting for a moderator are rejected as well, each
by its own atomic decision (over any lease: the sanction is the moderator's decision)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from ..auth.users import User, UserStore
from ..comments.ids import shard_of_comment
from ..comments.model import iso
from ..errors import InvalidRequest, NotFound
from ..store.client import decode
from ..store.keys import SHARDS
from .model import ModeratedComment
from .moderators import Moderator
from .queue import ModerationQueue

SANCTIONS = {
    "ban": "banned",
    "suspend": "suspended",
    "premoderate": "premoderated",
    "trust": "trusted",
    "lift": "active",
}
USER_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_SUSPENSION = 366 * 86400


@dataclass(frozen=True)
class Sanctioned:
    user: User
    rejected: list[str]  # waiting comments rejected with the sanction


def user_json(user: User) -> dict[str, Any]:
    return {
        **user.public(),
        "status": user.effective_status(),
        "status_until": iso(user.status_until) if user.status_until else None,
        "status_reason": user.status_reason,
    }


async def sanction(
    queue: ModerationQueue,
    users: UserStore,
    moderator: Moderator,
    user_id: str,
    action: str,
    reason: str,
    note: str = "",
    duration_seconds: int | None = None,
    reject_waiting: bool = False,
) -> Sanctioned:
    if action not in SANCTIONS:
        raise InvalidRequest(f"The action must be one of {', '.join(SANCTIONS)}.", field="action")
    if reason not in queue.settings.reason_codes:
        raise InvalidRequest(
            "The reason must be a code of the standards-board policy.",
            field="reason",
            choices=list(queue.settings.reason_codes),
        )
    until = 0
    if action == "suspend":
        if duration_seconds is None or not 60 <= duration_seconds <= MAX_SUSPENSION:
            raise InvalidRequest(
                "A suspension needs duration_seconds between 60 and a year.",
                field="duration_seconds",
            )
        until = int(time.time() * 1000) + duration_seconds * 1000
    elif duration_seconds is not None:
        raise InvalidRequest("Only a suspension has a duration.", field="duration_seconds")
    if not USER_ID.match(user_id) or await users.get(user_id) is None:
        raise NotFound("No such user.", code="user_not_found")
    keys = queue.keys
    async with queue.redis.pipeline(transaction=True) as pipe:
        pipe.hset(
            keys.user(user_id),
            mapping={
                "status": SANCTIONS[action],
                "status_until": str(until),
                "status_reason": reason,
            },
        )
        pipe.xadd(
            keys.user_audit(user_id),
            {
                "act": action,
                "by": f"m:{moderator.id}",
                "u": user_id,
                "why": reason,
                "note": note,
                "until": str(until),
            },
        )
        await pipe.execute()
    rejected: list[str] = []
    if reject_waiting:
        waiting = [c.comment.id for c in await comments_of(queue, user_id) if _waiting(c)]
        decided = await queue.decide_many(
            moderator, waiting, "reject", reason, note or f"user sanction: {action}", override=True
        )
        rejected = [cid for cid, d in decided if d.outcome == "applied"]
    user = await users.get(user_id)
    assert user is not None
    return Sanctioned(user, rejected)


def _waiting(item: ModeratedComment) -> bool:
    return item.decision is None and item.comment.status in {"pending", "withheld"}


async def comments_of(
    queue: ModerationQueue, user_id: str, limit: int = 1000
) -> list[ModeratedComment]:
    """A user's comments, newest first, as moderators see them."""
    async with queue.redis.pipeline(transaction=False) as pipe:
        for shard in range(SHARDS):
            pipe.zrevrangebylex(queue.keys.author_index(shard, user_id), "+", "-", 0, limit)
        per_shard = await pipe.execute()
    ids = sorted((decode(i) for ids in per_shard for i in ids), reverse=True)[:limit]
    out = []
    for cid in ids:
        if shard_of_comment(cid) is None:
            continue
        item = await queue.get(cid)
        if item is not None:
            out.append(item)
    return out
