"""The Redis client and the Lua scripts, opened and closed with the serving loop.

Three topologies, chosen by the settings (see docs/scaling.md):

- one Redis (`redis.url`): a client over a blocking pool;
- Redis Sentinel (`redis.sentinel_master`, `redis.sentinels`): the same client, whose pool asks
  the sentinels for the current master and reconnects after a failover;
- Redis Cluster (`redis.cluster_nodes`): redis-py's `RedisCluster`, which routes every command by
  its keys' hash slot and follows MOVED/ASK redirections.

Everything the service does over Redis works on both client types: every atomic step keeps its
keys in one hash slot (docs/data-model.md), and pipelines that span slots are not transactions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from importlib import resources
from typing import Any, Protocol, TypeAlias

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import (
    AskError,
    ClusterDownError,
    ClusterError,
    NoScriptError,
    ReadOnlyError,
    RedisError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..settings import RedisSettings
from .coalesce import CoalescedScript, Coalescer

Redis: TypeAlias = aioredis.Redis | RedisCluster


class ReplicationUnconfirmed(RedisError):
    """Fewer replicas than `redis.wait_replicas` confirmed a write in time: the write is on the
    primary only, so it is not acknowledged (a retry with the same Idempotency-Key finds it)."""


# Errors that mean "Redis is not answering right now" (503), as opposed to a bug (500). On a
# cluster that includes the moments of a failover: the slot's primary is down (CLUSTERDOWN,
# MASTERDOWN), a redirection loop while the slot map settles (ClusterError "TTL exhausted"), a
# multi-key command during resharding (TRYAGAIN), a write that reached a demoted primary
# (READONLY), slots that no node serves yet (SlotNotCoveredError), or a MOVED/ASK left over
# when redis-py stopped following redirections (AskError, MovedError's base).
# MaxConnectionsError (a ConnectionError) is a node's pool being full.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterDownError,
    ClusterError,
    TryAgainError,
    ReadOnlyError,
    SlotNotCoveredError,
    AskError,
    ReplicationUnconfirmed,
)


def torn_connection(exc: BaseException) -> bool:
    """redis-py's cluster client can close a node's connection while another command is
    writing to it (a failover, a full pool): that command then fails inside redis-py's
    connection module with AttributeError ('NoneType' has no 'writelines'). It means the same
    as a ConnectionError: the node is unreachable right now, so it is answered with a 503. An
    AttributeError raised anywhere else is a bug and stays a 500."""
    if not isinstance(exc, AttributeError):
        return False
    frame = exc.__traceback__
    last = None
    while frame is not None:
        last = frame
        frame = frame.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.endswith(
        ("redis/asyncio/connection.py", "redis/asyncio/cluster.py")
    )


# One quick retry covers a connection left stale by a Redis restart; more would only delay the
# 503 a reader should see while Redis is down.
_RETRY = Retry(ExponentialBackoff(cap=0.05, base=0.01), 1)


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def connect(settings: RedisSettings, url: str | None = None) -> Redis:
    """The client for the configured topology. `url` (the embedded Redis's) wins over the
    settings."""
    if settings.cluster_nodes and not url:
        return RedisCluster(
            startup_nodes=[ClusterNode(*_address(n)) for n in settings.cluster_nodes],
            # Per node. A full node pool fails at once (MaxConnectionsError, a 503) rather than
            # waiting: the cluster client has no blocking pool.
            max_connections=settings.max_connections,
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.connect_timeout,
            # Each retry of a failed command reloads the slot map first (a failover moves
            # slots); two are enough to ride out a promoted replica without piling up waits.
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 2),
            health_check_interval=30,
        )
    if settings.sentinel_master and not url:
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            [_address(s) for s in settings.sentinels],
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.connect_timeout,
        )
        master: aioredis.Redis = sentinel.master_for(
            settings.sentinel_master,
            # redis-py's Sentinel pool does not wait for a free connection (it fails with "Too
            # many connections"), so it gets room for bursts; the coalescer bounds its own use.
            max_connections=max(settings.max_connections, 512),
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.connect_timeout,
            retry=_RETRY,
            health_check_interval=30,
        )
        return master
    # A blocking pool: a burst waits for a connection up to the socket timeout instead of
    # failing, and a dead Redis fails fast instead of hanging.
    pool = aioredis.BlockingConnectionPool.from_url(
        url or settings.url,
        max_connections=settings.max_connections,
        timeout=settings.socket_timeout,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.connect_timeout,
        retry=_RETRY,
        health_check_interval=30,
    )
    # from_pool hands the pool to the client, so closing the client closes its connections.
    return aioredis.Redis.from_pool(pool)


async def close(client: Redis) -> None:
    """Close the client and its connections, and for a Sentinel-watched master the connections
    to the sentinels too (the master's client does not own those)."""
    await client.aclose()
    if isinstance(client, aioredis.Redis):
        manager = getattr(client.connection_pool, "sentinel_manager", None)
        for sentinel in getattr(manager, "sentinels", ()):
            await sentinel.aclose()


def is_cluster(client: Redis) -> bool:
    return isinstance(client, RedisCluster)


def load_script(client: Redis, name: str) -> AsyncScript:
    source = resources.files(__package__).joinpath("lua", f"{name}.lua").read_text("utf-8")
    return client.register_script(source)


class ScriptCall(Protocol):
    def __call__(self, keys: list[Any], args: list[Any]) -> Awaitable[Any]: ...


def submit_script(call: ScriptCall, keys: list[Any], args: list[Any]) -> Awaitable[Any]:
    """The call as an awaitable for `asyncio.gather`: through a coalescer, a future in its next
    round trip (gathering futures makes no task per call); otherwise the plain coroutine."""
    if isinstance(call, CoalescedScript):
        return call.submit(keys, args)
    return call(keys=keys, args=args)


ScriptCalls = Sequence[tuple[AsyncScript, list[Any], list[Any]]]


async def run_scripts(
    client: Redis, calls: ScriptCalls, coalescer: Coalescer | None = None
) -> list[Any]:
    """Run many script calls in one pipeline (not a transaction: each script is atomic on its
    own slot), answers in order; the first error is raised. With a coalescer (one Redis), they
    join its next shared round trip instead of a redis-py pipeline of their own, which packs
    and parses in Python.

    redis-py loads a single Redis pipeline's scripts before sending it; a cluster pipeline does
    not, so a node that never saw a script (a new or promoted primary) answers NOSCRIPT for
    that call only. Those calls did not run: they are run again one by one, which loads the
    script where it is missing."""
    results: list[Any]
    if coalescer is not None and not isinstance(client, RedisCluster):
        results = await coalescer.execute_many(
            [("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args in calls]
        )
    elif isinstance(client, RedisCluster):
        async with client.pipeline(transaction=False) as cpipe:
            for script, keys, args in calls:
                # Not cpipe.evalsha, which redis-py refuses on a cluster pipeline; the raw
                # command is routed by its keys like any other (all must share one slot).
                cpipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
            results = await cpipe.execute(raise_on_error=False)
    else:
        async with client.pipeline(transaction=False) as pipe:
            for script, keys, args in calls:
                # A pipeline is a client here (redis-py's typing says Redis, not Pipeline).
                await script(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
    for i, result in enumerate(results):
        if isinstance(result, NoScriptError):
            script, keys, args = calls[i]
            results[i] = await script(keys=keys, args=args)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


async def run_and_wait(
    client: Redis, script: AsyncScript, keys: list[Any], args: list[Any], settings: RedisSettings
) -> Any:
    """Run a writing script, then WAIT on the same connection until `wait_replicas` replicas
    have it (WAIT counts only the writes of its own connection). Raises ReplicationUnconfirmed
    when fewer confirm within `wait_timeout_ms`."""
    wait = ("WAIT", settings.wait_replicas, settings.wait_timeout_ms)
    for _ in range(2):
        if isinstance(client, RedisCluster):
            node = client.get_node_from_key(keys[0])
            async with client.pipeline(transaction=False) as cpipe:
                cpipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                # Sent to the slot's primary in the same pipeline, so on the same connection.
                cpipe.execute_command(*wait, target_nodes=node)
                result, acked = await cpipe.execute(raise_on_error=False)
            if not isinstance(result, Exception) and client.get_node_from_key(keys[0]) != node:
                # Redirected during a failover: the WAIT ran on the old primary's connection.
                raise ReplicationUnconfirmed("the slot moved while waiting for replicas")
        else:
            async with client.pipeline(transaction=False) as pipe:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
                pipe.execute_command(*wait)
                result, acked = await pipe.execute(raise_on_error=False)
        if isinstance(result, NoScriptError):
            await client.script_load(script.script)
            continue
        if isinstance(result, Exception):
            raise result
        if isinstance(acked, Exception):
            raise acked
        if int(acked) < settings.wait_replicas:
            raise ReplicationUnconfirmed(
                f"{acked} of {settings.wait_replicas} replicas confirmed the write"
            )
        return result
    raise ReplicationUnconfirmed("the script could not be loaded")


class Scripts:
    """The Lua scripts every request path uses, registered once per client. With a coalescer,
    concurrent calls share pipelines (see `coalesce`)."""

    def __init__(self, client: Redis, coalescer: Coalescer | None = None) -> None:
        self.coalescer = coalescer

        def script(name: str) -> ScriptCall:
            loaded = load_script(client, name)
            if coalescer is None:
                return loaded
            return CoalescedScript(coalescer, loaded.script, loaded.sha)

        self.intake = script("intake")
        self.page = script("page")
        self.context = script("context")
        self.session = script("session")
        self.record = script("record")
        # For run_and_wait: the same script, called directly.
        self.intake_direct = load_script(client, "intake")


def decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


# A comment hash holds its body (up to 250 characters, 750 bytes of Hangul) and short fields;
# it stays a compact listpack only while every value fits this limit (docs/operations.md).
LISTPACK_VALUE_WANTED = 1024


async def hash_encoding_advice(client: Redis) -> str | None:
    """Advice when the Redis would store long comments as hashtables (~450 bytes more per
    comment), or None when it is set well or cannot be asked (managed Redis may refuse
    CONFIG)."""
    try:
        reply = await client.config_get("hash-max-*-value")
    except RedisError:
        return None
    values = list(_numbers(reply))
    if not values or min(values) >= LISTPACK_VALUE_WANTED:
        return None
    return (
        f"Redis has hash-max-listpack-value {min(values)}: comments longer than that store as "
        f"hashtables, ~450 bytes more each; set it to {LISTPACK_VALUE_WANTED} "
        "(docs/operations.md)"
    )


def _numbers(reply: Any) -> Any:
    """The numbers in a CONFIG GET reply: {name: value}, or per node {node: {name: value}} from
    a cluster client."""
    if isinstance(reply, dict):
        for value in reply.values():
            yield from _numbers(value)
    elif str(decode(reply)).isdigit():
        yield int(decode(reply))
