"""The Redis connection pool and the Lua scripts, opened and closed with the serving loop."""

from __future__ import annotations

from collections.abc import Awaitable
from importlib import resources
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..settings import RedisSettings
from .coalesce import CoalescedScript, Coalescer

Redis = aioredis.Redis

# Errors that mean "Redis is not answering right now" (503), as opposed to a bug (500).
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
)


def connect(settings: RedisSettings, url: str | None = None) -> Redis:
    """A client over a blocking pool: a burst waits for a connection up to the socket timeout
    instead of failing, and a dead Redis fails fast instead of hanging."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url or settings.url,
        max_connections=settings.max_connections,
        timeout=settings.socket_timeout,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.connect_timeout,
        # One quick retry covers a connection left stale by a Redis restart; more would only
        # delay the 503 a reader should see while Redis is down.
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        health_check_interval=30,
    )
    # from_pool hands the pool to the client, so closing the client closes its connections.
    return aioredis.Redis.from_pool(pool)


def load_script(client: Redis, name: str) -> AsyncScript:
    source = resources.files(__package__).joinpath("lua", f"{name}.lua").read_text("utf-8")
    return client.register_script(source)


class ScriptCall(Protocol):
    def __call__(self, keys: list[Any], args: list[Any]) -> Awaitable[Any]: ...


class Scripts:
    """The Lua scripts every request path uses, registered once per client. With a coalescer,
    concurrent calls share pipelines (see `coalesce`)."""

    def __init__(self, client: Redis, coalescer: Coalescer | None = None) -> None:
        def script(name: str) -> ScriptCall:
            loaded = load_script(client, name)
            if coalescer is None:
                return loaded
            return CoalescedScript(coalescer, loaded.script, loaded.sha)

        self.intake = script("intake")
        self.page = script("page")
        self.context = script("context")
        self.record = script("record")


def decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
