"""Plain data the engine hands out: hits, verdicts and the facts context rules decide on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

Action = Literal["flag", "hold", "reject"]
Outcome = Literal["approve", "flag", "hold", "reject"]
UserStatus = Literal["active", "banned", "suspended", "premoderated", "trusted"]

ACTIONS: tuple[Action, ...] = ("flag", "hold", "reject")
USER_STATUSES: tuple[UserStatus, ...] = ("active", "banned", "suspended", "premoderated", "trusted")
_RANK: dict[str, int] = {"approve": 0, "flag": 1, "hold": 2, "reject": 3}


class RuleSetInvalid(ValueError):
    """A rule set failed validation; ``errors`` name the rule and what is wrong with it."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid rule set: " + "; ".join(errors))
        self.errors = errors


class Hit(NamedTuple):
    """One rule firing. ``span`` is ``(start, end)`` in code points of the original text
    (``None`` for context rules); ``excerpt`` is the original text under the span.

    Immutable like the engine's other results, but a named tuple rather than a frozen
    dataclass: a comment with hits makes one per hit, and a frozen dataclass's ``__init__``
    (one ``object.__setattr__`` per field) cost three times as much, about 6 % of the
    engine's time over the speed bench's comments.
    """

    rule_id: str
    kind: str
    action: Action
    span: tuple[int, int] | None
    excerpt: str
    reason_en: str
    reason_ko: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "action": self.action,
            "span": list(self.span) if self.span is not None else None,
            "excerpt": self.excerpt,
            "reason": {"en": self.reason_en, "ko": self.reason_ko},
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hit:
        span = data.get("span")
        return cls(
            rule_id=str(data["rule_id"]),
            kind=str(data["kind"]),
            action=data["action"],
            span=(int(span[0]), int(span[1])) if span is not None else None,
            excerpt=str(data.get("excerpt", "")),
            reason_en=str(data["reason"]["en"]),
            reason_ko=str(data["reason"]["ko"]),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for a comment: the strictest action among ``hits`` (approve if none)."""

    action: Outcome
    hits: tuple[Hit, ...] = ()
    version: str = ""

    @property
    def reasons(self) -> list[dict[str, str]]:
        """Public reasons of the hits that decided the outcome, without repeats."""
        seen: dict[str, dict[str, str]] = {}
        for hit in self.hits:
            if hit.action == self.action and hit.rule_id not in seen:
                seen[hit.rule_id] = {"en": hit.reason_en, "ko": hit.reason_ko}
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "version": self.version,
            "hits": [hit.to_dict() for hit in self.hits],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            action=data["action"],
            hits=tuple(Hit.from_dict(h) for h in data.get("hits", ())),
            version=str(data.get("version", "")),
        )


def strictest(hits: Iterable[Hit]) -> Outcome:
    best: Outcome = "approve"
    for hit in hits:
        if _RANK[hit.action] > _RANK[best]:
            best = hit.action
    return best


@dataclass(frozen=True, slots=True)
class ContextFacts:
    """What intake learnt from Redis about a comment's circumstances.

    Counts are of the reader's (or the client IP's) comments already accepted inside the
    window, not counting this one; the windows are in ``RuleSet.context_params``.
    """

    user_status: UserStatus = "active"
    suspended_until: datetime | None = None
    previous_comments: int = 0
    duplicate_recent: bool = False
    reader_burst: int = 0
    reader_sustained: int = 0
    ip_burst: int = 0
    ip_sustained: int = 0
    article_closed: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    seconds: int


@dataclass(frozen=True, slots=True)
class ContextParams:
    """What the Redis side has to count for the context rules of a rule set."""

    flood_window_seconds: int | None = None
    first_comments_held: int = 0
    reader_burst: Window | None = None
    reader_sustained: Window | None = None
    ip_burst: Window | None = None
    ip_sustained: Window | None = None
    extra: dict[str, Any] = field(default_factory=dict)
