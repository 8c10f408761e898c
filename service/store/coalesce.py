"""Coalescing: the Redis commands of concurrent requests share one pipeline and one round trip.

redis-py's asyncio client spends far more CPU per round trip (taking a connection, packing,
sending, waiting, parsing) than Redis spends running a script. Under load many requests are in
flight on the same loop at once: while one round trip is out, the commands that arrive are
gathered and sent together in one pipeline on the next loop turn. An idle service sends a lone
command directly, with no batching cost and no timer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

MAX_BATCH = 256


class Coalescer:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._pending: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0

    async def execute(self, *args: Any) -> Any:
        if self._in_flight == 0:
            self._in_flight += 1
            try:
                return await self.client.execute_command(*args)  # type: ignore[no-untyped-call]
            finally:
                self._in_flight -= 1
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((args, future))
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        self._in_flight += 1
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for args, _ in batch:
                    pipe.execute_command(*args)
                results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the whole round trip failed: every caller learns why
            self._in_flight -= 1
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError())
            if not isinstance(exc, Exception):
                raise
            return
        self._in_flight -= 1
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up (cancelled); the command ran regardless
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class CoalescedScript:
    """A Lua script run through the coalescer by EVALSHA, loaded again if Redis forgot it
    (after a restart)."""

    def __init__(self, coalescer: Coalescer, source: Any, sha: str) -> None:
        self.coalescer = coalescer
        self.source = source
        self.sha = sha

    async def __call__(self, keys: list[Any], args: list[Any]) -> Any:
        try:
            return await self.coalescer.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.coalescer.client.script_load(self.source)
            return await self.coalescer.execute("EVALSHA", self.sha, len(keys), *keys, *args)
