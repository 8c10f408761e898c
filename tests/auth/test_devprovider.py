"""The development provider: a login through it uses the same client code over real HTTP to the
service itself, and it is refused outside development."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from service.app import create_app
from service.settings import SettingsError, load_settings
from tests.auth.conftest import Browser, query_of


@pytest.fixture
async def dev(aiohttp_client: Any, settings) -> tuple[Browser, str]:
    port = unused_port()
    public = f"http://127.0.0.1:{port}"
    configured = settings.replace(
        **{"oauth.dev.enabled": True, "server.public_url": public, "sessions.cookie_secure": False}
    )
    client = await aiohttp_client(
        create_app(configured), server_kwargs={"port": port}, cookie_jar=aiohttp.DummyCookieJar()
    )
    return Browser(client), public


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


async def test_log_in_as_someone_with_the_dev_provider(dev):
    browser, public = dev
    started = await browser.get("/auth/dev/login?return_to=/demo")
    assert started.status == 302
    authorize = started.headers["Location"]
    assert authorize.startswith(public + "/dev-oauth/authorize?")
    q = query_of(authorize)
    assert q["code_challenge_method"] == "S256"
    assert q["redirect_uri"] == public + "/auth/dev/callback"

    form = await browser.get(authorize)
    html = await form.text()
    assert form.status == 200
    assert "Log in as" in html
    assert "form-action 'self'" in form.headers["Content-Security-Policy"]
    fields = hidden_fields(html)
    assert fields["state"] == q["state"]

    submitted = await browser.post(
        "/dev-oauth/authorize", data={**fields, "name": "Kim Reader", "action": "allow"}
    )
    assert submitted.status == 302
    callback = submitted.headers["Location"]
    assert callback.startswith(public + "/auth/dev/callback?")

    done = await browser.get(callback)
    assert done.status == 302, await done.text()
    assert done.headers["Location"] == public + "/demo"
    me = await browser.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {browser.session}"}
    )
    user = (await me.json())["user"]
    assert user["name"] == "Kim Reader"
    assert user["provider"] == "dev"


async def test_the_same_name_is_the_same_reader(dev):
    """The second time round the browser has a session cookie, so the form post needs the
    Origin header that a browser sends (the CSRF check of cookie requests)."""
    browser, public = dev
    ids = []
    for _ in range(2):
        started = await browser.get("/auth/dev/login")
        fields = hidden_fields(await (await browser.get(started.headers["Location"])).text())
        submitted = await browser.post(
            "/dev-oauth/authorize",
            data={**fields, "name": "Lee", "action": "allow"},
            headers={"Origin": public},
        )
        await browser.get(submitted.headers["Location"])
        me = await browser.client.get(
            "/auth/me", headers={"Authorization": f"Bearer {browser.session}"}
        )
        ids.append((await me.json())["user"]["id"])
    assert ids[0] == ids[1]


async def test_denying_at_the_dev_provider_is_access_denied(dev):
    browser, _ = dev
    started = await browser.get("/auth/dev/login")
    fields = hidden_fields(await (await browser.get(started.headers["Location"])).text())
    submitted = await browser.post("/dev-oauth/authorize", data={**fields, "action": "deny"})
    assert query_of(submitted.headers["Location"])["error"] == "access_denied"
    done = await browser.get(submitted.headers["Location"])
    assert done.status == 403
    assert done.headers["X-Login-Error"] == "access_denied"


async def test_the_dev_provider_checks_the_request(dev):
    browser, _ = dev
    started = await browser.get("/auth/dev/login")
    q = query_of(started.headers["Location"])
    for change in (
        {"redirect_uri": "https://evil.example/cb"},
        {"client_id": "someone-else"},
        {"code_challenge_method": "plain"},
        {"response_type": "token"},
    ):
        resp = await browser.client.get("/dev-oauth/authorize", params={**q, **change})
        assert resp.status == 400, change
        assert "Refused" in await resp.text()


async def test_the_dev_token_endpoint_checks_pkce_and_single_use(dev):
    browser, public = dev
    started = await browser.get("/auth/dev/login")
    fields = hidden_fields(await (await browser.get(started.headers["Location"])).text())
    submitted = await browser.post(
        "/dev-oauth/authorize", data={**fields, "name": "Kim", "action": "allow"}
    )
    code = query_of(submitted.headers["Location"])["code"]
    form = {
        "grant_type": "authorization_code",
        "client_id": "standards-desk-dev",
        "redirect_uri": public + "/auth/dev/callback",
        "code": code,
        "code_verifier": "x" * 64,
    }
    wrong = await browser.client.post("/dev-oauth/token", data=form)
    assert wrong.status == 400
    assert (await wrong.json())["error"] == "invalid_grant"
    # The code was spent by the failed attempt, as a real provider would.
    again = await browser.client.post("/dev-oauth/token", data=form)
    assert (await again.json())["error"] == "invalid_grant"
    nobody = await browser.client.get(
        "/dev-oauth/userinfo", headers={"Authorization": "Bearer nope"}
    )
    assert nobody.status == 401


def test_the_dev_provider_is_refused_in_production_settings():
    with pytest.raises(SettingsError) as info:
        load_settings(environ={"SD_OAUTH_DEV_ENABLED": "true"})
    assert any(p.startswith("oauth.dev.enabled") for p in info.value.problems)


def test_the_service_refuses_to_start_with_it_in_production(settings):
    production = settings.replace(**{"env": "production", "oauth.dev.enabled": True})
    with pytest.raises(SettingsError):
        create_app(production)


async def test_the_dev_provider_is_not_mounted_unless_enabled(client):
    resp = await client.get("/dev-oauth/authorize")
    assert resp.status == 404


def test_make_run_enables_it():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "config" / "development.toml", environ={})
    assert settings.oauth.dev.enabled
