"""What moderators see of a comment, and the outcome of a decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..comments.model import FIELDS, Comment, iso
from ..store.client import decode

VIEWS = ("pending", "reported", "unmoderated")
ACTIONS = ("approve", "reject")
# The comment's own fields, then the moderation ones kept in the same hash (mod_claim.lua
# lists the same, in the same order):
# rc reports, lh/le/lv lease holder/expiry (ms)/view, d/dr/dn/dby/dat the decision.
MODERATION_FIELDS = (*FIELDS, "rc", "lh", "le", "lv", "d", "dr", "dn", "dby", "dat")
# What the decision script answers with (HMGET order).
STATE_FIELDS = ("s", "d", "dr", "dn", "dby", "dat", "lh", "le", "a")


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str
    note: str
    by: str  # moderator id
    at: int  # ms since the epoch

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "note": self.note,
            "moderator_id": self.by,
            "decided_at": iso(self.at),
        }


@dataclass(frozen=True)
class Lease:
    holder: str  # moderator id
    until: int  # ms since the epoch
    view: str

    def to_json(self) -> dict[str, Any]:
        return {"moderator_id": self.holder, "until": iso(self.until), "view": self.view}


@dataclass(frozen=True)
class ModeratedComment:
    comment: Comment
    reports: int
    lease: Lease | None
    decision: Decision | None

    @classmethod
    def from_values(cls, values: list[Any]) -> ModeratedComment | None:
        """From the id followed by HMGET of MODERATION_FIELDS; None when the comment does not
        exist."""
        comment = Comment.from_values(values[: 1 + len(FIELDS)])
        if comment is None:
            return None
        names = MODERATION_FIELDS[len(FIELDS) :]
        extra = dict(zip(names, map(decode, values[1 + len(FIELDS) :]), strict=True))
        return cls(comment, int(extra["rc"] or 0), _lease(extra), _decision(extra))

    def to_json(self) -> dict[str, Any]:
        return {
            **self.comment.for_author(),
            "hits": self.comment.hits,
            "report_count": self.reports,
            "lease": self.lease.to_json() if self.lease else None,
            "decision": self.decision.to_json() if self.decision else None,
        }


@dataclass(frozen=True)
class DecisionState:
    """A comment's status, decision and lease right after a decision attempt."""

    comment_id: str
    status: str
    decision: Decision | None
    lease: Lease | None
    article_id: str = ""

    @classmethod
    def from_state(cls, comment_id: str, values: list[Any]) -> DecisionState:
        data = dict(zip(STATE_FIELDS, map(decode, values), strict=True))
        return cls(
            comment_id,
            data["s"] or "",
            _decision(data),
            _lease({**data, "lv": ""}),
            data["a"] or "",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.comment_id,
            "status": self.status,
            "decision": self.decision.to_json() if self.decision else None,
        }


@dataclass(frozen=True)
class Decided:
    outcome: str  # applied | same | conflict | claimed | missing
    state: DecisionState | None


def _lease(data: dict[str, Any]) -> Lease | None:
    if not data.get("lh"):
        return None
    return Lease(data["lh"], int(data.get("le") or 0), data.get("lv") or "")


def _decision(data: dict[str, Any]) -> Decision | None:
    if not data.get("d"):
        return None
    return Decision(
        data["d"],
        data.get("dr") or "",
        data.get("dn") or "",
        data.get("dby") or "",
        int(data.get("dat") or 0),
    )
