"""The standards-board rules at intake: the content rules on the text, and the context rules on
what Redis knows about the writer (recent comments, floods, the account, the article).

Counts are read before the decision and recorded only for comments that are accepted, so a
comment refused for coming too fast does not count against the reader's next try.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ..auth.users import User
from ..moderation.articles import auto_closes_at
from ..rules import ContextFacts, RuleSet, fingerprint
from ..store.client import Redis, Scripts, decode, submit_script
from ..store.keys import Keys, shard_of
from .intake import Screened

UserStatus = Literal["active", "banned", "suspended", "premoderated", "trusted"]

# How long counters are kept when the policy has no window for them.
_DAY_MS = 86_400_000


@dataclass
class RulesHolder:
    """The active rule set. Replacing `current` is one reference swap, so every comment is
    judged by one whole policy, old or new."""

    current: RuleSet
    loaded_at: float = field(default_factory=time.time)

    def swap(self, ruleset: RuleSet) -> None:
        self.current = ruleset
        self.loaded_at = time.time()


def ip_digest(address: str) -> str:
    return hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()[:24]


def _window_ms(window: Any) -> int:
    return int(window.seconds * 1000) if window is not None else _DAY_MS


def _zeros() -> asyncio.Future[list[int]]:
    """No client address to count: zero counts, as a future that is done already."""
    done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
    done.set_result([0, 0, 0, 0])
    return done


@dataclass
class _Writer:
    rate: str
    flood: str
    user: str


class RulesScreening:
    def __init__(
        self,
        holder: RulesHolder,
        redis: Redis,
        keys: Keys,
        scripts: Scripts,
        auto_close_days: int = 0,
    ) -> None:
        self.holder = holder
        self.auto_close_days = auto_close_days
        self.redis = redis
        self.keys = keys
        self.scripts = scripts

    def _reader(self, author: User) -> _Writer:
        k = self.keys
        return _Writer(k.reader_rate(author.id), k.reader_flood(author.id), k.user(author.id))

    def _address(self, client_ip: str) -> _Writer:
        rate = self.keys.ip_rate(ip_digest(client_ip))
        return _Writer(rate, rate, rate)

    async def screen(
        self, body: str, author: User, article_id: str, client_ip: str = ""
    ) -> Screened:
        rs = self.holder.current
        verdict = rs.evaluate(body)
        facts, article_mode = await self._facts(rs, body, author, article_id, client_ip)
        final = rs.combine([*verdict.hits, *rs.evaluate_context(facts)], facts)
        reasons = []
        seen: set[str] = set()
        for hit in final.hits:
            if hit.action == final.action and hit.rule_id not in seen and hit.action != "flag":
                seen.add(hit.rule_id)
                reasons.append(
                    {
                        "rule": hit.rule_id,
                        "action": hit.action,
                        "en": hit.reason_en,
                        "ko": hit.reason_ko,
                    }
                )
        return Screened(
            final.action, reasons, [hit.to_dict() for hit in final.hits], mode=article_mode
        )

    async def _facts(
        self, rs: RuleSet, body: str, author: User, article_id: str, client_ip: str
    ) -> tuple[ContextFacts, str | None]:
        """The facts for the context rules, and the article's own moderation mode if it has
        one (a moderator may set pre or post per article)."""
        params = rs.context_params
        now = int(time.time() * 1000)
        reader, address = self._reader(author), self._address(client_ip)
        flood_ms = int((params.flood_window_seconds or 0) * 1000)
        reader_read = submit_script(
            self.scripts.context,
            [reader.rate, reader.flood, reader.user],
            [
                now,
                _window_ms(params.reader_burst),
                _window_ms(params.reader_sustained),
                fingerprint(body),
                flood_ms or 1,
            ],
        )
        address_read = (
            submit_script(
                self.scripts.context,
                [address.rate, address.rate, address.rate],
                [now, _window_ms(params.ip_burst), _window_ms(params.ip_sustained), "", 1],
            )
            if client_ip
            else _zeros()
        )
        article_key = self.keys.article_meta(shard_of(article_id), article_id)
        coalescer = self.scripts.coalescer
        article_read = (
            coalescer.submit("HMGET", article_key, "closed", "mode", "first")
            if coalescer is not None
            else self.redis.hmget(article_key, ["closed", "mode", "first"])
        )
        # Concurrent, so that the coalescer sends them in one round trip.
        reader_counts, ip_counts, article = await asyncio.gather(
            reader_read, address_read, article_read
        )
        closed, mode, first = (decode(v) if v is not None else None for v in article)
        status = author.effective_status(now)
        until = (
            dt.datetime.fromtimestamp(author.status_until / 1000, tz=dt.UTC)
            if status == "suspended" and author.status_until
            else None
        )
        return ContextFacts(
            user_status=cast(UserStatus, status),
            suspended_until=until,
            previous_comments=int(reader_counts[3]),
            duplicate_recent=bool(reader_counts[2]) and flood_ms > 0,
            reader_burst=int(reader_counts[0]),
            reader_sustained=int(reader_counts[1]),
            ip_burst=int(ip_counts[0]),
            ip_sustained=int(ip_counts[1]),
            article_closed=closed == "1" or self._auto_closed(first, now),
        ), mode if mode in ("pre", "post") else None

    def _auto_closed(self, first: str | None, now_ms: int) -> bool:
        """Closed automatically `moderation.auto_close_days` after the first comment."""
        closes = auto_closes_at(int(first or 0), self.auto_close_days)
        return bool(closes) and now_ms >= closes

    def accepted(
        self, body: str, author: User, comment_id: str, client_ip: str
    ) -> list[Awaitable[Any]]:
        """Count a comment that was stored (pending or published) for the next decisions: the
        reader's and the address's counters, to be awaited together (and with the store)."""
        params = self.holder.current.context_params
        now = int(time.time() * 1000)
        reader = self._reader(author)
        keep_rate = max(_window_ms(params.reader_burst), _window_ms(params.reader_sustained))
        flood_ms = int((params.flood_window_seconds or 0) * 1000) or 1
        counts = [
            submit_script(
                self.scripts.record,
                [reader.rate, reader.flood, reader.user],
                [now, comment_id, keep_rate, fingerprint(body), flood_ms],
            )
        ]
        if client_ip:
            address = self._address(client_ip)
            keep_ip = max(_window_ms(params.ip_burst), _window_ms(params.ip_sustained))
            counts.append(
                submit_script(
                    self.scripts.record,
                    [address.rate, address.rate, address.rate],
                    [now, comment_id, keep_ip, "", 1],
                )
            )
        return counts
