"""Comment ids: a ULID (time-ordered, so a lexical sort is a time sort) followed by the article's
shard in two base-32 digits, so any worker can find a comment's Redis slot from its id alone."""

from __future__ import annotations

import base64
import binascii
import os
import re
import time

from ..store.keys import SHARDS

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COMMENT_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}[0-9A-HJKMNP-TV-Z]{2}$")
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _base32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


class _Randomness:
    """80 random bits per id from the system's CSPRNG, read 4 KiB at a time: a read per id was
    a system call per comment (2 % of a post). A forked child starts with nothing read, so
    no two processes hand out the same bits."""

    SIZE = 4096

    def __init__(self) -> None:
        self._buffer = b""
        self._at = 0
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        self._buffer, self._at = b"", 0

    def bits80(self) -> int:
        at = self._at
        if at + 10 > len(self._buffer):
            self._buffer, at = os.urandom(self.SIZE), 0
        self._at = at + 10
        return int.from_bytes(self._buffer[at : at + 10], "big")


_random = _Randomness()


def new_comment_id(shard: int, now_ms: int | None = None) -> str:
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    ulid = (now_ms << 80) | _random.bits80()
    return _base32(ulid, 26) + _base32(shard, 2)


def shard_of_comment(comment_id: str) -> int | None:
    if not COMMENT_ID.match(comment_id):
        return None
    shard = _CROCKFORD.index(comment_id[26]) * 32 + _CROCKFORD.index(comment_id[27])
    return shard if shard < SHARDS else None


# Crockford's digits to the ones int(..., 32) reads, so a ULID's time decodes in one call.
_TO_INT32 = str.maketrans(_CROCKFORD, "0123456789abcdefghijklmnopqrstuv")


def created_ms(comment_id: str) -> int:
    """The creation time in a comment id (its ULID's first 48 bits), in ms since the epoch."""
    return int(comment_id[:10].translate(_TO_INT32), 32)


def encode_cursor(comment_id: str) -> str:
    return base64.urlsafe_b64encode(comment_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The comment id inside an opaque cursor, or None when it is not one of ours."""
    if not 1 <= len(cursor) <= 64 or not cursor.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    return raw if COMMENT_ID.match(raw) else None
