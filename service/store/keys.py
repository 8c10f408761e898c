"""Key names. Every key carries a Redis Cluster hash tag chosen so that the keys one atomic step
touches share a slot (see docs/data-model.md):

- `{sNN}`: one of `SHARDS` article shards. A comment, its article's public list and counters, the
  shard's moderation queue stream, the author's per-shard index and idempotency keys live there,
  so intake and decisions are single-slot Lua scripts.
- `{u:ID}`: one reader. Their profile, sessions and counters live there.
"""

from __future__ import annotations

import zlib

# Fixed for the life of a deployment: an article's shard is part of its comments' ids.
SHARDS = 32


def shard_of(article_id: str) -> int:
    return zlib.crc32(article_id.encode("utf-8")) % SHARDS


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._shards = [f"{prefix}:{{s{shard:02d}}}:" for shard in range(SHARDS)]

    # ---- article shards
    def shard(self, shard: int) -> str:
        """The shard's key prefix; Lua scripts derive comment keys from it."""
        return self._shards[shard]

    def comment(self, shard: int, comment_id: str) -> str:
        return f"{self.shard(shard)}c:{comment_id}"

    def article_public(self, shard: int, article_id: str) -> str:
        return f"{self.shard(shard)}a:{article_id}:pub"

    def article_meta(self, shard: int, article_id: str) -> str:
        return f"{self.shard(shard)}a:{article_id}"

    def queue(self, shard: int, view: str = "pending") -> str:
        return f"{self.shard(shard)}q:{view}"

    def author_index(self, shard: int, user_id: str) -> str:
        return f"{self.shard(shard)}u:{user_id}:c"

    def idempotency(self, shard: int, user_id: str, key_digest: str) -> str:
        return f"{self.shard(shard)}idem:{user_id}:{key_digest}"

    def comment_log(self, shard: int, comment_id: str) -> str:
        """The audit entries about one comment (JSON), oldest first."""
        return f"{self.shard(shard)}c:{comment_id}:log"

    def reports(self, shard: int, comment_id: str) -> str:
        """Readers' reports on one comment: user id -> JSON."""
        return f"{self.shard(shard)}c:{comment_id}:reports"

    def audit(self, shard: int) -> str:
        """The shard's audit stream: claims, decisions, reports, thresholds."""
        return f"{self.shard(shard)}audit"

    def moderation_events(self) -> str:
        """The pub/sub channel of queue changes (new work, claims, leases, decisions,
        withholdings) for moderators' consoles. Not a key, so no hash tag."""
        return f"{self.prefix}:moderation:events"

    # ---- moderators (few; one slot)
    def moderator_names(self) -> str:
        return f"{self.prefix}:{{mods}}:names"

    def moderator(self, moderator_id: str) -> str:
        return f"{self.prefix}:{{mods}}:m:{moderator_id}"

    # ---- readers
    def user(self, user_id: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:user"

    def session(self, user_id: str, token_digest: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:s:{token_digest}"

    def user_sessions(self, user_id: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:sessions"

    def user_audit(self, user_id: str) -> str:
        """Sanctions of one reader, as an audit stream."""
        return f"{self.prefix}:{{u:{user_id}}}:audit"

    def reader_rate(self, user_id: str) -> str:
        """Times of the reader's recent comments (sorted set, for rate limits)."""
        return f"{self.prefix}:{{u:{user_id}}}:rate"

    def reader_flood(self, user_id: str) -> str:
        """Fingerprints of the reader's recent comments (sorted set by time, for floods)."""
        return f"{self.prefix}:{{u:{user_id}}}:flood"

    def ip_rate(self, ip_digest: str) -> str:
        """Times of recent comments from one client address (hashed; never the raw IP)."""
        return f"{self.prefix}:{{ip:{ip_digest}}}:rate"

    def identity(self, provider: str, provider_user_id: str) -> str:
        return f"{self.prefix}:ident:{provider}:{provider_user_id}"
