"""Coalescing: the Redis commands of concurrent requests share one pipeline and one round trip.

redis-py's asyncio client spends far more CPU per round trip (taking a connection, packing,
sending, waiting, parsing) than Redis spends running a script. Under load many requests are in
flight on the same loop at once: while one round trip is out, the commands that arrive are
gathered and sent together in one pipeline on the next loop turn. An idle service sends a lone
command directly, with no batching cost and no timer.

The raw path needs one connection to one server: a single Redis, or the master a Sentinel names
(its pool connects to whichever master the sentinels report). A Redis Cluster client has no such
pool; there the batch goes through redis-py's cluster pipeline, which splits it by hash slot
into one pipeline per node, sent concurrently (`bench/cluster.py` measured it against sending
each command on its own; see docs/scaling.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from hiredis import pack_command
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

MAX_BATCH = 256


class Coalescer:
    def __init__(
        self, client: aioredis.Redis | RedisCluster, *, cluster_batches: bool = True
    ) -> None:
        self.client = client
        # Made on the loop it serves (the app's Redis context): asking for the running loop
        # per command costs a getpid system call on Python 3.11.
        self._loop = asyncio.get_running_loop()
        # False: on a cluster every command goes on its own (for the comparison in bench/).
        self._direct = isinstance(client, RedisCluster) and not cluster_batches
        self._pending: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        # Round trips out at once, at most half the pool: more only queue for connections (or,
        # with a pool that does not wait, such as Sentinel's, fail with "Too many
        # connections"); waiting commands join the next batch instead.
        pool = getattr(client, "connection_pool", None)
        limit = getattr(pool, "max_connections", None) or 64
        self._slots = asyncio.Semaphore(max(2, min(limit, 2**16) // 2))
        # Connections between round trips, kept here instead of going back to the pool: redis-py's
        # pool takes a lock, health-checks the socket and records metrics on every checkout,
        # which cost more per batch than packing it. At most one per slot; a connection is
        # kept only after a round trip that read every reply, so its stream is in step.
        self._idle: list[Any] = []
        # Script sources by SHA: a batch whose EVALSHA meets NOSCRIPT (a restarted or new
        # Redis) loads the script and sends those commands once more.
        self._sources: dict[str, Any] = {}

    def register_script(self, sha: str, source: Any) -> None:
        self._sources[sha] = source

    def submit(self, *args: Any) -> asyncio.Future[Any]:
        """A command for the next shared round trip, as a future (awaiting several with
        `asyncio.gather` makes no task per command, unlike coroutines)."""
        future: asyncio.Future[Any] = self._loop.create_future()
        self._enqueue([(args, future)])
        return future

    def _enqueue(self, entries: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        self._pending.extend(entries)
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    async def execute(self, *args: Any) -> Any:
        """One command: at once when no round trip is out (no wait for the next batch), else
        in the next shared one. Alone, it still goes through this class's own packing and
        reading, which cost less than redis-py's `execute_command`; on a cluster, through
        redis-py, which knows the slots."""
        if self._in_flight == 0 or self._direct:
            self._in_flight += 1
            try:
                async with self._slots:
                    if isinstance(self.client, RedisCluster):
                        return await self.client.execute_command(*args)
                    (result,) = await self._round_trip([args])
            finally:
                self._in_flight -= 1
            if isinstance(result, Exception):
                raise result
            return result
        return await self.submit(*args)

    async def execute_many(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Several commands in the next shared round trip, with no task per command: each
        command's reply in order, error replies as exception objects. A failed round trip
        (connection, timeout) raises."""
        if self._direct:
            return list(await asyncio.gather(*(self.execute(*c) for c in commands)))
        futures: list[asyncio.Future[Any]] = [self._loop.create_future() for _ in commands]
        self._enqueue(list(zip(commands, futures, strict=True)))
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ResponseError):
                raise result
        return list(results)

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if batch:
            task = self._loop.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        self._in_flight += 1
        try:
            async with self._slots:
                commands = [args for args, _ in batch]
                results = await self._round_trip(commands)
                await self._load_missing_scripts(commands, results)
        except BaseException as exc:  # the whole round trip failed: every caller learns why
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError())
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self._in_flight -= 1
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up (cancelled); the command ran regardless
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _load_missing_scripts(
        self, commands: list[tuple[Any, ...]], results: list[Any]
    ) -> None:
        """EVALSHA that met NOSCRIPT did not run: load those scripts and run the commands once
        more, in place (the other commands' results stand)."""
        again = [
            i
            for i, result in enumerate(results)
            if isinstance(result, NoScriptError)
            and commands[i][0] == "EVALSHA"
            and commands[i][1] in self._sources
        ]
        if not again:
            return
        for sha in {commands[i][1] for i in again}:
            await self.client.script_load(self._sources[sha])
        retried = await self._round_trip([commands[i] for i in again])
        for i, result in zip(again, retried, strict=True):
            results[i] = result

    async def _round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send every command in one write and read the replies in order.

        redis-py's pipeline packs each argument through several layers of Python; packing the
        protocol here is a join of bytes, which is what makes a shared round trip cheap.

        A connection that turns out dead before any reply arrives (typically one left over from
        before a Redis restart) is replaced and the batch sent once more, as redis-py's own retry
        does; once a reply has been read nothing is resent."""
        if isinstance(self.client, RedisCluster):
            return await self._cluster_round_trip(commands)
        packed = pack(commands)
        pool = self.client.connection_pool
        for attempt in (1, 2):
            idle = self._idle
            connection = idle.pop() if idle else await pool.get_connection()  # type: ignore[no-untyped-call]
            results: list[Any] = []
            try:
                await connection.send_packed_command(packed, check_health=False)
                await _read_replies(connection, len(commands), results)
            except RedisConnectionError:
                # The other idle connections are likely as dead as this one: drop them all so
                # the next requests connect afresh instead of failing in turn.
                await self._hand_back([connection, *self._take_idle()], disconnect=True)
                await pool.disconnect(inuse_connections=False)
                if results or attempt == 2:
                    raise
            except BaseException:
                # The stream's position is unknown (a timeout, a cancellation): never reuse it.
                await self._hand_back([connection], disconnect=True)
                raise
            else:
                idle.append(connection)
                return results
        raise AssertionError("unreachable")

    async def _cluster_round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """One pipeline per node, concurrently; redirections during a failover are followed
        command by command, and each command's error goes to its own caller."""
        assert isinstance(self.client, RedisCluster)
        async with self.client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        return results

    def _take_idle(self) -> list[Any]:
        idle, self._idle = self._idle, []
        return idle

    async def _hand_back(self, connections: list[Any], *, disconnect: bool) -> None:
        """Connections back to the pool; closed first when their stream can't be trusted."""
        assert not isinstance(self.client, RedisCluster)  # (clusters go through redis-py)
        pool = self.client.connection_pool
        for connection in connections:
            if disconnect:
                await connection.disconnect()
            await pool.release(connection)

    async def close(self) -> None:
        """After the last round trip: the kept connections go back to the pool."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._idle:  # (never on a cluster)
            await self._hand_back(self._take_idle(), disconnect=False)


async def _read_replies(connection: Any, count: int, results: list[Any]) -> None:
    """Read `count` replies into `results`, error replies as exception objects.

    One timeout (the connection's socket timeout) covers the whole batch. The replies come from
    the connection's protocol parser: redis-py's `Connection.read_response` wraps every single
    reply in a timeout and its error handling, which costs more than parsing the reply. Where
    the parser is not there (another redis-py), that method is used, reply by reply."""
    parser = getattr(connection, "_parser", None)
    direct = getattr(parser, "read_response", None)
    if direct is None:
        for _ in range(count):
            try:
                results.append(await connection.read_response())
            except ResponseError as exc:
                results.append(exc)
        return
    try:
        async with asyncio.timeout(connection.socket_timeout):
            for _ in range(count):
                results.append(await direct())  # error replies come back as ResponseErrors
    except TimeoutError as exc:
        raise RedisTimeoutError(f"Timeout reading from Redis: {len(results)} of {count}") from exc
    except OSError as exc:
        raise RedisConnectionError(f"Error while reading from Redis: {exc!r}") from exc


class CoalescedScript:
    """A Lua script run through the coalescer by EVALSHA, loaded again if Redis forgot it
    (after a restart)."""

    def __init__(self, coalescer: Coalescer, source: Any, sha: str) -> None:
        self.coalescer = coalescer
        self.source = source
        self.sha = sha
        coalescer.register_script(sha, source)

    def submit(self, keys: list[Any], args: list[Any]) -> asyncio.Future[Any]:
        """The call as a future in the next shared round trip (see `Coalescer.submit`)."""
        return self.coalescer.submit("EVALSHA", self.sha, len(keys), *keys, *args)

    async def __call__(self, keys: list[Any], args: list[Any]) -> Any:
        try:
            return await self.coalescer.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.coalescer.client.script_load(self.source)
            return await self.coalescer.execute("EVALSHA", self.sha, len(keys), *keys, *args)


def pack(commands: list[tuple[Any, ...]]) -> bytes:
    """RESP: an array of bulk strings per command, all in one buffer. hiredis packs in C (str as
    UTF-8, int and float as their decimal text, like redis-py) and refuses anything else,
    booleans and None included."""
    return b"".join([pack_command(command) for command in commands])
