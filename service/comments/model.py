"""A comment as stored and as shown."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import orjson

from .ids import created_ms

STATUSES = ("pending", "approved", "rejected", "withheld")

# Short hash field names keep a stored comment small (docs/data-model.md). The id and the
# creation time are not stored: the id is in the key, and its ULID carries the time.
FIELDS = ("a", "u", "n", "v", "b", "s", "r", "h")


@dataclass(frozen=True)
class Comment:
    id: str
    article_id: str
    author_id: str
    author_name: str
    author_avatar: str
    body: str
    status: str
    created_at: int  # ms since the epoch
    reasons: list[dict[str, Any]] = field(default_factory=list)  # shown to the writer
    hits: list[dict[str, Any]] = field(default_factory=list)  # shown to moderators

    def to_hash(self) -> dict[str, str]:
        data = {
            "a": self.article_id,
            "u": self.author_id,
            "n": self.author_name,
            "v": self.author_avatar,
            "b": self.body,
            "s": self.status,
        }
        if self.reasons:
            data["r"] = orjson.dumps(self.reasons).decode()
        if self.hits:
            data["h"] = orjson.dumps(self.hits).decode()
        return data

    @classmethod
    def from_values(cls, values: list[Any]) -> Comment | None:
        """From the id followed by HMGET of FIELDS (None when the hash is gone: every stored
        comment has an article). On every page read, so it avoids per-field helpers: one pass
        decodes, one call builds."""
        if len(values) < 2 or not values[1]:
            return None
        cid, a, u, n, v, b, st, r, h = (
            x.decode("utf-8") if isinstance(x, bytes) else (x or "") for x in values
        )
        return cls(
            cid, a, u, n, v, b, st, created_ms(cid), orjson.loads(r) if r else [],
            orjson.loads(h) if h else [],
        )  # fmt: skip

    @classmethod
    def from_hash(cls, comment_id: str, data: dict[str, Any]) -> Comment:
        return cls.from_values([comment_id, *(data.get(name) for name in FIELDS)]) or cls(
            comment_id, "", "", "", "", "", "", created_ms(comment_id)
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "article_id": self.article_id,
            "body": self.body,
            "created_at": iso(self.created_at),
            "author": {
                "id": self.author_id,
                "name": self.author_name,
                "avatar_url": self.author_avatar,
            },
        }

    def for_author(self) -> dict[str, Any]:
        return {**self.public(), "status": self.status, "reasons": self.reasons}


def iso(ms: int) -> str:
    """UTC, to the millisecond: 2026-11-26T21:00:00.123Z. On every comment of every answer, so
    the second's text is remembered (comments of a page or a claim share seconds)."""
    seconds, millis = divmod(int(ms), 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_second(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
