"""Shared fixtures: a private Redis for the whole session, a fresh key prefix per test, the real
app factory, and readers created through the same modules the login flow uses."""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.auth.sessions import SessionStore
from service.auth.users import User, UserStore
from service.rules import RuleSet, load_ruleset, parse_ruleset
from service.settings import CONFIG_DIR, Settings, load_settings
from service.store.keys import Keys
from tests.redis_server import RedisProcess

ARTICLE_ORIGIN = "https://news.example"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A Redis of the tests' own on a private port; never the machine's shared one."""
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def key_prefix() -> str:
    return "t" + secrets.token_hex(6)


@pytest.fixture
def settings(redis_server: RedisProcess, key_prefix: str) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "env": "development",
            "redis.url": redis_server.url,
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
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    """A direct client, for checking what the service wrote (under this test's prefix only)."""
    client = aioredis.Redis.from_url(settings.redis.url)
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
