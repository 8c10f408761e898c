"""Shared fixtures: a private Redis for the whole session, a fresh key prefix per test, the real
app factory, and readers created through the same modules the login flow uses.

With `SD_TEST_REDIS=cluster` (`make pytest-cluster`) the session's Redis is a 3-primary Redis
Cluster with a replica each, started from redis-server processes on private loopback ports;
`settings` points `redis.cluster_nodes` at it and the direct `redis` client is a RedisCluster.
Tests that start a Redis of their own (faults, workers) are single either way."""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from redis.asyncio.cluster import ClusterNode, RedisCluster

from service.app import create_app
from service.auth.sessions import SessionStore
from service.auth.users import User, UserStore
from service.rules import RuleSet, load_ruleset, parse_ruleset
from service.settings import CONFIG_DIR, Settings, load_settings
from service.store.keys import Keys
from tests.redis_cluster import RedisClusterProcess
from tests.redis_server import RedisProcess

ARTICLE_ORIGIN = "https://news.example"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A Redis of the tests' own on a private port; never the machine's shared one."""
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


# "single" (the default) or "cluster".
TEST_REDIS = os.environ.get("SD_TEST_REDIS", "single")
if TEST_REDIS not in {"single", "cluster"}:
    raise RuntimeError(f"SD_TEST_REDIS must be single or cluster, not {TEST_REDIS!r}")


@pytest.fixture(scope="session")
def redis_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings that point the service at the session's Redis (or cluster)."""
    if TEST_REDIS == "cluster":
        cluster: RedisClusterProcess = request.getfixturevalue("redis_cluster")
        return {"redis.url": "", "redis.cluster_nodes": cluster.seeds}
    server: RedisProcess = request.getfixturevalue("redis_server")
    return {"redis.url": server.url}


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterProcess]:
    """Three primaries and three replicas of the tests' own, on private ports."""
    cluster = RedisClusterProcess(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def redis_env(settings: Settings) -> dict[str, str]:
    """Environment variables that point a subprocess (the CLI) at the same Redis."""
    return {
        "SD_REDIS_URL": settings.redis.url,
        "SD_REDIS_CLUSTER_NODES": ",".join(settings.redis.cluster_nodes),
        "SD_REDIS_KEY_PREFIX": settings.redis.key_prefix,
    }


def direct_client(settings: Settings) -> aioredis.Redis | RedisCluster:
    if settings.redis.cluster_nodes:
        nodes = [ClusterNode(*n.rsplit(":", 1)) for n in settings.redis.cluster_nodes]
        return RedisCluster(startup_nodes=nodes)
    return aioredis.Redis.from_url(settings.redis.url)


@pytest.fixture
def key_prefix() -> str:
    return "t" + secrets.token_hex(6)


@pytest.fixture
def settings(redis_backend: dict[str, Any], key_prefix: str) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "env": "development",
            **redis_backend,
            "redis.key_prefix": key_prefix,
            "redis.socket_timeout": 1.0,
            "redis.retry_after": 3,
            "site.article_origins": [ARTICLE_ORIGIN],
            "server.public_url": "http://127.0.0.1:8080",
        },
    )


VOLUME_LIMITING_KINDS = ("rate_limit", "flood", "first_comments")


@pytest.fixture(scope="session")
def policy() -> RuleSet:
    """The shipped standards-board policy, whole."""
    return load_ruleset(CONFIG_DIR / "rules.toml")


@pytest.fixture(scope="session")
def volume_policy() -> RuleSet:
    """The shipped policy without the rules that limit how often one reader may post, so tests
    can post many comments quickly as one reader. Tests of those rules use `policy`."""
    data = tomllib.loads((CONFIG_DIR / "rules.toml").read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["kind"] not in VOLUME_LIMITING_KINDS]
    return parse_ruleset(data, base_dir=CONFIG_DIR)


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], volume_policy: RuleSet
) -> Callable[..., Awaitable[TestClient[Any, Any]]]:
    async def make(settings: Settings, ruleset: RuleSet | None = None) -> TestClient[Any, Any]:
        return await aiohttp_client(create_app(settings, ruleset=ruleset or volume_policy))

    return make


@pytest.fixture
async def client(
    make_client: Callable[..., Awaitable[TestClient[Any, Any]]], settings: Settings
) -> TestClient[Any, Any]:
    return await make_client(settings)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis | RedisCluster]:
    """A direct client, for checking what the service wrote (under this test's prefix only)."""
    client = direct_client(settings)
    yield client
    await client.aclose()


@dataclass
class ReaderHandle:
    user: User
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_reader(
    redis: aioredis.Redis, settings: Settings
) -> Callable[..., Awaitable[ReaderHandle]]:
    keys = Keys(settings.redis.key_prefix)

    async def make(name: str = "Reader", provider: str = "dev") -> ReaderHandle:
        user = await UserStore(redis, keys).upsert(provider, secrets.token_hex(4), name)
        token, _ = await SessionStore(redis, keys, 3600).create(user.id)
        return ReaderHandle(user, token)

    return make


@pytest.fixture
async def reader(make_reader: Callable[..., Awaitable[ReaderHandle]]) -> ReaderHandle:
    return await make_reader("Kim Reader")


async def keys_of(redis: aioredis.Redis, prefix: str) -> list[str]:
    return sorted(k.decode() async for k in redis.scan_iter(match=f"{prefix}:*", count=1000))
