"""Readers as stored in Redis: one internal user per (provider, provider user id)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from ..store.client import Redis, decode
from ..store.keys import Keys

USER_STATUSES = ("active", "banned", "suspended", "premoderated", "trusted")


@dataclass(frozen=True)
class User:
    id: str
    provider: str
    provider_user_id: str
    name: str
    avatar_url: str
    status: str
    status_until: int  # ms since the epoch; 0 = no end
    status_reason: str
    created_at: int  # ms since the epoch

    @classmethod
    def from_hash(cls, user_id: str, data: dict[str, Any]) -> User:
        return cls(
            id=user_id,
            provider=data.get("provider", ""),
            provider_user_id=data.get("pid", ""),
            name=data.get("name", ""),
            avatar_url=data.get("avatar", ""),
            status=data.get("status", "active"),
            status_until=int(data.get("status_until") or 0),
            status_reason=data.get("status_reason", ""),
            created_at=int(data.get("created") or 0),
        )

    def effective_status(self, now_ms: int | None = None) -> str:
        """A suspension that has run out counts as active."""
        if self.status == "suspended" and self.status_until:
            now_ms = int(time.time() * 1000) if now_ms is None else now_ms
            if now_ms >= self.status_until:
                return "active"
        return self.status

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "avatar_url": self.avatar_url}


def new_user_id() -> str:
    return secrets.token_hex(8)


class UserStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def upsert(
        self, provider: str, provider_user_id: str, name: str, avatar_url: str = ""
    ) -> User:
        """Find or create the user for this identity and refresh its name and avatar.

        Two idempotent steps (the identity key and the user hash live in different slots): a
        crash between them leaves an identity pointing at a user that the next login fills in.
        """
        ident = self.keys.identity(provider, provider_user_id)
        candidate = new_user_id()
        if await self.redis.set(ident, candidate, nx=True):
            user_id = candidate
        else:
            user_id = decode(await self.redis.get(ident))
        key = self.keys.user(user_id)
        now = str(int(time.time() * 1000))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "created", now)
            pipe.hsetnx(key, "status", "active")
            pipe.hset(
                key,
                mapping={
                    "provider": provider,
                    "pid": provider_user_id,
                    "name": name[:100],
                    "avatar": avatar_url[:500],
                },
            )
            pipe.hgetall(key)
            *_, data = await pipe.execute()
        return User.from_hash(user_id, decode_hash(data))

    async def get(self, user_id: str) -> User | None:
        data = await self.redis.hgetall(self.keys.user(user_id))
        return User.from_hash(user_id, decode_hash(data)) if data else None

    async def set_status(
        self, user_id: str, status: str, *, until_ms: int = 0, reason: str = ""
    ) -> None:
        if status not in USER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        await self.redis.hset(
            self.keys.user(user_id),
            mapping={"status": status, "status_until": str(until_ms), "status_reason": reason},
        )


def decode_hash(data: dict[Any, Any]) -> dict[str, str]:
    return {decode(k): decode(v) for k, v in data.items()}
