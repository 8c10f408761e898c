"""A short-lived cache of encoded public comment pages, one per worker process.

Article pages are read far more often than they change, and many readers open the same hot
article in the same second. Each worker keeps the encoded body of a page for `ttl` seconds, so
a burst of readers costs one Redis read per page per worker, and concurrent misses of the same
page share that one read (no stampede when an entry expires).

Freshness: a change made through this worker (a comment published at posting, a decision, a
comment withheld by reports) drops the article's pages at once; a change made through another
worker shows here within `ttl` at most. Memory is bounded by `max_bytes` of encoded bodies,
least recently used first out.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# (article id, cursor or "", page size)
PageKey = tuple[str, str, int]


@dataclass(frozen=True)
class _Entry:
    body: bytes
    expires: float


class PageCache:
    def __init__(
        self, ttl: float, max_bytes: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[PageKey, _Entry] = OrderedDict()
        self._by_article: dict[str, set[PageKey]] = {}
        self._bytes = 0
        self._loading: dict[PageKey, asyncio.Future[bytes]] = {}
        # A read that started before its article changed must not store what it read, or the
        # change would stay hidden for a whole ttl: each change is stamped from a counter, and
        # a read stores only when no change of its article is newer than the read's start.
        # The stamps matter only while reads are in flight, so they are cleared when none is.
        self._clock_ticks = 0
        self._changed: dict[str, int] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def get(self, key: PageKey, load: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached body of a page, or `load()`'s, shared by the concurrent callers."""
        if not self.enabled:
            return await load()
        entry = self._entries.get(key)
        if entry is not None and entry.expires > self._clock():
            self._entries.move_to_end(key)
            return entry.body
        pending = self._loading.get(key)
        if pending is not None:
            # Shielded: one waiter cancelled (its client went away) must not cancel the read
            # the others wait for.
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        started = self._clock_ticks
        try:
            body = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited failure is not logged
            raise
        else:
            future.set_result(body)
            if self._changed.get(key[0], -1) <= started:
                self._store(key, body)
            return body
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
            if not self._loading:
                self._changed.clear()

    def forget(self, article_id: str) -> None:
        """The article's pages changed: drop them, and keep reads in flight from storing."""
        if not self.enabled:
            return
        if self._loading:
            self._clock_ticks += 1
            self._changed[article_id] = self._clock_ticks
        for key in list(self._by_article.get(article_id, ())):
            self._drop(key)
        for key in [k for k in self._loading if k[0] == article_id]:
            # Whoever waits on it still gets the old read; later callers read afresh.
            del self._loading[key]

    def _store(self, key: PageKey, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = _Entry(body, self._clock() + self.ttl)
        self._by_article.setdefault(key[0], set()).add(key)
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: PageKey) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
        keys = self._by_article[key[0]]
        keys.discard(key)
        if not keys:
            del self._by_article[key[0]]

    def __len__(self) -> int:
        return len(self._entries)
