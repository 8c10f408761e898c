"""Live queue changes for moderators' consoles.

One hub per process, started by the first subscriber and stopped after the last leaves: it
listens on the moderation pub/sub channel (the intake, claim, lease, decision and report scripts
publish there in the same step as the change) and, every `interval` seconds, reads the queue
counts and passes them on when they changed. Each subscriber has a bounded queue; one that falls
that far behind is dropped, and its console reconnects.

Events, each a dict with its `type`:

- `counts`: `views` -> per view `{"queued", "in_claims"}` (at once, then when they change);
- `queued`: a new comment entered a view at intake (`pending`, or `unmoderated` under
  post-moderation): `comment_id`, `view`, `article_id`, `rule_ids` (the rules that fired);
- `claimed`: `comment_ids`, `view`, `moderator_id`, `until` (ms);
- `extended`, `released`: `comment_id`, `view`, `moderator_id`, `until` (ms; 0 when released);
- `decided`: `comment_id`, `action`, `moderator_id`, `article_id`;
- `withheld`: `comment_id`, `view` (`reported`), `article_id`.

None carries a comment's body: consoles fetch what they show through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson

from .queue import ModerationQueue

log = logging.getLogger("service.moderation")
BACKLOG = 1000


class EventHub:
    def __init__(self, queue: ModerationQueue, interval: float = 1.0) -> None:
        self.queue = queue
        self.interval = interval
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any] | None]]:
        """A queue of events (dicts with a `type`); None means the hub dropped this one."""
        inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(BACKLOG)
        inbox.put_nowait({"type": "counts", "views": await self.queue.counts()})
        self._subscribers.add(inbox)
        if self._task is None or self._task.done():
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._run(self._stop))
        try:
            yield inbox
        finally:
            self._subscribers.discard(inbox)
            if not self._subscribers:
                await self.close()

    async def close(self) -> None:
        """Stop within one interval. Not by cancelling: redis-py's pool can swallow a
        cancellation that lands while it waits for a connection, and the task would go on."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    def _broadcast(self, event: dict[str, Any]) -> None:
        for inbox in list(self._subscribers):
            try:
                inbox.put_nowait(event)
            except asyncio.QueueFull:
                self._subscribers.discard(inbox)
                inbox.get_nowait()  # make room for the goodbye
                inbox.put_nowait(None)

    async def _run(self, stop: asyncio.Event) -> None:
        pubsub = self.queue.redis.pubsub()
        try:
            await pubsub.subscribe(self.queue.channel)
            counts = await self.queue.counts()
            loop = asyncio.get_running_loop()
            next_count = loop.time() + self.interval
            while not stop.is_set():
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=max(0.0, next_count - loop.time())
                )
                if message is not None and message.get("type") == "message":
                    try:
                        self._broadcast(orjson.loads(message["data"]))
                    except orjson.JSONDecodeError:
                        log.warning("unreadable moderation event")
                if loop.time() >= next_count:
                    next_count = loop.time() + self.interval
                    latest = await self.queue.counts()
                    if latest != counts:
                        counts = latest
                        self._broadcast({"type": "counts", "views": counts})
        finally:
            await asyncio.shield(pubsub.aclose())  # type: ignore[no-untyped-call]
