"""A real Chromium (Debian's, never a downloaded one) against the real app on a loopback port,
and an article page on another site (127.0.0.2) that embeds the widget with the two lines.

One browser for the whole session; every test gets fresh servers, a fresh key prefix and a fresh
browser context. The tests run on the session's event loop, which the browser lives on too.
"""

from __future__ import annotations

import html
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import unused_port
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from service.app import create_app
from service.appkeys import MODERATORS, RULES
from service.rules import RuleSet
from service.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
# Test artifacts; `make screenshots` points this at docs/screenshots to refresh the README's.
SCREENSHOTS = Path(os.environ.get("SD_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
ARTICLE_HOST = "127.0.0.2"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Fails, never skips, when the browser is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`; .ci/run installs it)."
        )
    return CHROMIUM


async def _launch(playwright: Playwright, *extra: str) -> Browser:
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra], headless=True
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright(chromium: Path) -> AsyncIterator[Playwright]:
    async with async_playwright() as p:
        yield p


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    launched = await _launch(playwright)
    yield launched
    await launched.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def cookieless_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium with third-party cookies blocked, as a browser that phased them out."""
    launched = await _launch(playwright, "--test-third-party-cookie-phaseout")
    yield launched
    await launched.close()


def article_page(service: str, article_id: str, lang: str) -> str:
    """A newspaper's article page on its own site: the two embedding lines, and a strict CSP
    that lets the page reach nothing but the comment service."""
    return f"""<!doctype html>
<html lang="{html.escape(lang)}"><head><meta charset="utf-8"><title>Article</title></head>
<body><h1>An article</h1><p>Text of the article.</p>
<div data-standards-desk data-article-id="{html.escape(article_id)}"></div>
<script src="{service}/widget/v1/embed.js" async></script>
</body></html>"""


@dataclass
class Site:
    service: str
    article: str
    settings: Settings
    app: web.Application
    foreign_requests: list[str] = field(default_factory=list)
    _moderator_token: str = ""

    def article_url(self, article_id: str = "art-1", lang: str = "en") -> str:
        return f"{self.article}/articles/{article_id}?lang={lang}"

    def public_rules(self) -> list[dict[str, Any]]:
        return self.app[RULES].current.public_rules()

    async def moderator_token(self) -> str:
        """A moderator's bearer token, made with the service's own ModeratorStore."""
        if not self._moderator_token:
            _, self._moderator_token = await self.app[MODERATORS].add("editor", "moderator")
        return self._moderator_token

    async def api(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.service + path, **kwargs) as response,
        ):
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body


@pytest_asyncio.fixture(loop_scope="session")
async def site(settings: Settings, volume_policy: RuleSet) -> AsyncIterator[Site]:
    port, article_port = unused_port(), unused_port()
    service = f"http://127.0.0.1:{port}"
    article = f"http://{ARTICLE_HOST}:{article_port}"
    configured = settings.replace(
        **{
            "oauth.dev.enabled": True,
            "server.public_url": service,
            "sessions.cookie_secure": False,
            "site.article_origins": [article],
        }
    )
    app = create_app(configured, ruleset=volume_policy)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    async def serve_article(request: web.Request) -> web.Response:
        lang = request.query.get("lang", "en")
        response = web.Response(
            text=article_page(service, request.match_info["article_id"], lang),
            content_type="text/html",
        )
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src {service}; style-src {service}; "
            f"connect-src {service}; img-src {service}; frame-ancestors 'none'"
        )
        return response

    article_app = web.Application()
    article_app.router.add_get("/articles/{article_id}", serve_article)
    article_runner = web.AppRunner(article_app, access_log=None, shutdown_timeout=2.0)
    await article_runner.setup()
    await web.TCPSite(article_runner, ARTICLE_HOST, article_port).start()
    try:
        yield Site(service, article, configured, app)
    finally:
        await article_runner.cleanup()
        await runner.cleanup()


async def new_context(browser: Browser, site: Site) -> BrowserContext:
    """A fresh profile that records any request to a third origin (the widget makes none)."""
    context = await browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    allowed = (site.service, site.article)

    def watch(request: Any) -> None:
        if not request.url.startswith(allowed) and not request.url.startswith(("data:", "about:")):
            site.foreign_requests.append(request.url)

    context.on("request", watch)
    return context


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser, site: Site) -> AsyncIterator[BrowserContext]:
    ctx = await new_context(browser, site)
    yield ctx
    await ctx.close()
    assert not site.foreign_requests, f"requests to third parties: {site.foreign_requests}"


@dataclass
class Dialogs:
    seen: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    opened = await context.new_page()
    dialogs = Dialogs()

    async def on_dialog(dialog: Any) -> None:
        dialogs.seen.append(dialog.message)
        await dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("pageerror", lambda error: dialogs.seen.append(f"page error: {error}"))
    yield opened
    assert not dialogs.seen, f"dialogs or script errors: {dialogs.seen}"
