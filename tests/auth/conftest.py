"""A browser stand-in and the fake providers, for driving whole logins through the real app.

The service's client has no cookie jar of its own: `Browser` keeps cookies by name and path, as a
browser does, and sends them explicitly, so each test sees exactly which cookies travel where.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from service.app import create_app
from service.settings import Settings
from tests.auth.fakes import FakeProvider


@dataclass
class Browser:
    client: TestClient[Any, Any]
    # name -> (value, path)
    cookies: dict[str, tuple[str, str]] = field(default_factory=dict)
    last_set_cookie: list[str] = field(default_factory=list)

    def cookie_header(self, path: str) -> dict[str, str]:
        sent = [
            f"{name}={value}"
            for name, (value, cpath) in self.cookies.items()
            if path.startswith(cpath)
        ]
        return {"Cookie": "; ".join(sent)} if sent else {}

    def remember(self, response: aiohttp.ClientResponse) -> None:
        self.last_set_cookie = response.headers.getall("Set-Cookie", [])
        for header in self.last_set_cookie:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = (morsel.value, morsel["path"] or "/")

    async def get(self, url: str, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = await self.client.get(
            path,
            allow_redirects=False,
            headers={**self.cookie_header(parts.path), **(headers or {})},
        )
        await response.read()
        self.remember(response)
        return response

    async def post(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        headers = {**self.cookie_header(path), **kwargs.pop("headers", {})}
        response = await self.client.post(path, allow_redirects=False, headers=headers, **kwargs)
        await response.read()
        self.remember(response)
        return response

    @property
    def session(self) -> str | None:
        found = self.cookies.get("sd_session")
        return found[0] if found else None


async def visit_provider(url: str, **headers: str) -> aiohttp.ClientResponse:
    """What the browser does at the provider: the fake answers at once (consent given or not)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False, headers=headers) as response,
    ):
        await response.read()
        return response


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class LoginKit:
    browser: Browser
    fake: FakeProvider
    settings: Settings

    @property
    def provider(self) -> str:
        return self.fake.kind

    async def start(self, **query: str) -> aiohttp.ClientResponse:
        response = await self.browser.client.get(
            f"/auth/{self.provider}/login",
            params=query,
            allow_redirects=False,
            headers=self.browser.cookie_header(f"/auth/{self.provider}/login"),
        )
        await response.read()
        self.browser.remember(response)
        return response

    async def to_callback(self, **query: str) -> str:
        """Start a login and go through the provider; the callback URL the provider sends back."""
        started = await self.start(**query)
        assert started.status == 302, await started.text()
        at_provider = await visit_provider(started.headers["Location"])
        assert at_provider.status == 302, await at_provider.text()
        return at_provider.headers["Location"]

    async def login(self, **query: str) -> aiohttp.ClientResponse:
        return await self.browser.get(await self.to_callback(**query))

    async def me(self, token: str | None = None) -> aiohttp.ClientResponse:
        """`/auth/me` with the session token as a bearer token."""
        token = token or self.browser.session
        return await self.browser.client.get(
            "/auth/me", headers={"Authorization": f"Bearer {token}"}
        )


MakeKit = Callable[..., Awaitable[LoginKit]]


@pytest.fixture
def make_kit(aiohttp_client: Any, aiohttp_server: Any, settings: Settings) -> MakeKit:
    async def make(kind: str = "x", fake: FakeProvider | None = None, **overrides: Any) -> LoginKit:
        fake = fake or FakeProvider(kind)
        server: TestServer = await aiohttp_server(fake.app())
        base = f"http://127.0.0.1:{server.port}"
        configured = settings.replace(**{"oauth.timeout": 0.5, **fake.settings(base), **overrides})
        client = await aiohttp_client(create_app(configured), cookie_jar=aiohttp.DummyCookieJar())
        return LoginKit(Browser(client), fake, configured)

    return make


@pytest.fixture
async def x_kit(make_kit: MakeKit) -> LoginKit:
    return await make_kit("x")


@pytest.fixture
async def facebook_kit(make_kit: MakeKit) -> LoginKit:
    return await make_kit("facebook")


@pytest.fixture(params=["x", "facebook"])
async def kit(request: pytest.FixtureRequest, make_kit: MakeKit) -> LoginKit:
    return await make_kit(request.param)
