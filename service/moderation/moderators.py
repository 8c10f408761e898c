"""Moderators and their bearer API tokens.

A token is `sdm_<moderator id>.<256 random bits>`: the prefix keeps it apart from a reader's
session token (`<user id>.<secret>`), so neither is ever taken for the other. Redis keeps only
the SHA-256 of the random part; the check compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..errors import Conflict, InvalidRequest
from ..store.client import Redis, decode
from ..store.coalesce import Coalescer
from ..store.keys import Keys

TOKEN_PREFIX = "sdm_"  # noqa: S105 - a prefix, not a secret  # nosec B105
ROLES = ("moderator", "admin")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_TOKEN = re.compile(r"^sdm_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Moderator:
    id: str
    name: str
    role: str
    created_at: int  # ms since the epoch
    revoked_at: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def looks_like_moderator_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


class ModeratorStore:
    def __init__(self, redis: Redis, keys: Keys, coalescer: Coalescer | None = None) -> None:
        self.redis = redis
        self.keys = keys
        # Every moderator request reads its token's record: shared round trips under load.
        self.coalescer = coalescer

    async def add(self, name: str, role: str) -> tuple[Moderator, str]:
        """A new moderator and its token (shown once; only its digest is kept)."""
        if not NAME.match(name):
            raise InvalidRequest(
                "A moderator name is 1 to 64 letters, digits, '.', '_', '@' or '-'.", field="name"
            )
        if role not in ROLES:
            raise InvalidRequest(f"The role must be one of {', '.join(ROLES)}.", field="role")
        moderator = Moderator(secrets.token_hex(8), name, role, int(time.time() * 1000))
        secret = secrets.token_urlsafe(32)
        key = self.keys.moderator(moderator.id)
        # The hash first: a crash before the name is taken leaves an unreachable record only.
        await self.redis.hset(
            key,
            mapping={
                "name": name,
                "role": role,
                "digest": _digest(secret),
                "created": str(moderator.created_at),
            },
        )
        if not await self.redis.hsetnx(self.keys.moderator_names(), name, moderator.id):
            await self.redis.delete(key)
            raise Conflict(f"A moderator named {name!r} exists.", code="moderator_exists")
        return moderator, f"{TOKEN_PREFIX}{moderator.id}.{secret}"

    async def get(self, moderator_id: str) -> Moderator | None:
        data = await self.redis.hgetall(self.keys.moderator(moderator_id))
        return _from_hash(moderator_id, data) if data else None

    async def list(self) -> list[Moderator]:
        ids = await self.redis.hvals(self.keys.moderator_names())
        found = [await self.get(decode(i)) for i in ids]
        return sorted((m for m in found if m is not None), key=lambda m: m.name)

    async def revoke(self, name: str) -> Moderator | None:
        """Stop the token at once; the record stays so the audit trail keeps a name."""
        moderator_id = await self.redis.hget(self.keys.moderator_names(), name)
        if moderator_id is None:
            return None
        mid = decode(moderator_id)
        key = self.keys.moderator(mid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "revoked", str(int(time.time() * 1000)))
            pipe.hdel(key, "digest")
            pipe.hdel(self.keys.moderator_names(), name)
            await pipe.execute()
        return await self.get(mid)

    async def authenticate(self, token: str) -> Moderator | None:
        """The moderator whose token this is, or None (unknown, revoked or malformed)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        key = self.keys.moderator(match.group(1))
        if self.coalescer is not None:
            data = await self.coalescer.execute("HGETALL", key)
        else:
            data = await self.redis.hgetall(key)
        stored = decode(data.get(b"digest", b""))
        if not stored or not hmac.compare_digest(stored, _digest(match.group(2))):
            return None
        return _from_hash(match.group(1), data)


def _from_hash(moderator_id: str, data: dict[Any, Any]) -> Moderator:
    values = {decode(k): decode(v) for k, v in data.items()}
    return Moderator(
        id=moderator_id,
        name=values.get("name", ""),
        role=values.get("role", "moderator"),
        created_at=int(values.get("created") or 0),
        revoked_at=int(values.get("revoked") or 0),
    )
