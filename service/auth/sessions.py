"""Server-side reader sessions.

A session token is `<user id>.<256 random bits>`. Redis keeps only a digest of the random part, in
the user's hash slot, so a copy of the database holds no usable token, and looking a session up
fetches the session and its user in one round trip. Deleting the key revokes the token and the
cookie at once, on every worker.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from ..store.client import Redis, ScriptCall, decode
from ..store.keys import Keys
from .users import User, decode_hash

_TOKEN = re.compile(r"^([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Session:
    user_id: str
    digest: str
    csrf_token: str
    created_at: int


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()[:40]


def parse_token(token: str) -> tuple[str, str] | None:
    match = _TOKEN.match(token)
    return (match.group(1), _digest(match.group(2))) if match else None


class SessionStore:
    def __init__(
        self, redis: Redis, keys: Keys, ttl_seconds: int, load_script: ScriptCall | None = None
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl = ttl_seconds
        # The app passes the coalesced `session` script, so that every request's session
        # lookup shares round trips with the others; tools and tests may go without it.
        self.load_script = load_script

    async def create(self, user_id: str) -> tuple[str, Session]:
        secret = secrets.token_urlsafe(32)
        session = Session(
            user_id=user_id,
            digest=_digest(secret),
            csrf_token=secrets.token_urlsafe(24),
            created_at=int(time.time() * 1000),
        )
        key = self.keys.session(user_id, session.digest)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"csrf": session.csrf_token, "created": session.created_at})
            pipe.expire(key, self.ttl)
            pipe.sadd(self.keys.user_sessions(user_id), session.digest)
            pipe.expire(self.keys.user_sessions(user_id), self.ttl)
            await pipe.execute()
        return f"{user_id}.{secret}", session

    async def load(self, token: str) -> tuple[Session, User] | None:
        """The session and its user, or None for an unknown, expired or malformed token."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        user_id, digest = parsed
        session_key, user_key = self.keys.session(user_id, digest), self.keys.user(user_id)
        if self.load_script is not None:
            found = await self.load_script(keys=[session_key, user_key], args=[])
            if not found:
                return None
            data, user = _decoded_pairs(found[0]), _decoded_pairs(found[1])
        else:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(session_key)
                pipe.hgetall(user_key)
                raw_session, raw_user = await pipe.execute()
            data, user = decode_hash(raw_session), decode_hash(raw_user)
        if not data or not user:
            return None
        session = Session(
            user_id=user_id,
            digest=digest,
            csrf_token=data.get("csrf", ""),
            created_at=int(data.get("created") or 0),
        )
        return session, User.from_hash(user_id, user)

    async def delete(self, session: Session) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.session(session.user_id, session.digest))
            pipe.srem(self.keys.user_sessions(session.user_id), session.digest)
            await pipe.execute()

    async def delete_all(self, user_id: str) -> int:
        """Revoke every session of a user (used when a moderator bans them)."""
        digests = await self.redis.smembers(self.keys.user_sessions(user_id))
        if not digests:
            return 0
        keys = [self.keys.session(user_id, decode(d)) for d in digests]
        await self.redis.delete(*keys, self.keys.user_sessions(user_id))
        return len(keys)


def _decoded_pairs(flat: list[bytes]) -> dict[str, str]:
    """A hash read as a flat list of field, value, field, value, … (a script's HGETALL)."""
    items = iter(flat)
    return {field.decode(): value.decode() for field, value in zip(items, items, strict=True)}


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")
