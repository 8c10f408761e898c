"""The login transaction: what the callback needs to finish a login, kept in Redis for a few
minutes, usable once, and bound to the browser that started it.

The browser holds a random binding value in a short-lived HttpOnly cookie; Redis keeps the
transaction under a digest of it. The callback takes the transaction with GETDEL, so a replayed
or second callback finds nothing, and a callback in another browser (a login CSRF, or a stolen
callback URL) has no cookie to find it with. The `state` it carries is still compared with the
one the provider returns.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from ...store.client import Redis

_BINDING = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class LoginTransaction:
    provider: str
    state: str
    code_verifier: str
    return_to: str  # where to send the reader (redirect mode)
    popup_origin: str  # the opener's origin (popup mode), else ""
    created_at: int  # ms since the epoch

    @classmethod
    def start(cls, provider: str, return_to: str, popup_origin: str = "") -> LoginTransaction:
        return cls(
            provider=provider,
            state=secrets.token_urlsafe(32),
            # 64 characters from the unreserved set, within RFC 7636's 43 to 128.
            code_verifier=secrets.token_urlsafe(48),
            return_to=return_to,
            popup_origin=popup_origin,
            created_at=int(time.time() * 1000),
        )

    @property
    def popup(self) -> bool:
        return bool(self.popup_origin)


class LoginTransactions:
    def __init__(self, redis: Redis, key_prefix: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.prefix = key_prefix
        self.ttl = ttl_seconds

    def key(self, binding: str) -> str:
        digest = hashlib.sha256(binding.encode("ascii")).hexdigest()[:40]
        return f"{self.prefix}:login:{digest}"

    async def begin(self, transaction: LoginTransaction) -> str:
        """Store the transaction; the returned binding value goes into the browser's cookie."""
        binding = secrets.token_urlsafe(32)
        await self.redis.set(
            self.key(binding), orjson.dumps(asdict(transaction)), ex=self.ttl, nx=True
        )
        return binding

    async def take(self, binding: str | None) -> LoginTransaction | None:
        """The transaction, removed as it is read; None if unknown, used, expired or malformed."""
        if not binding or not _BINDING.match(binding):
            return None
        raw = await self.redis.getdel(self.key(binding))
        if raw is None:
            return None
        try:
            data: Any = orjson.loads(raw)
            transaction = LoginTransaction(**data)
        except (orjson.JSONDecodeError, TypeError):
            return None
        # Redis expires the key; this also holds if a replica or a restore kept it longer.
        if time.time() * 1000 - transaction.created_at > self.ttl * 1000:
            return None
        return transaction
