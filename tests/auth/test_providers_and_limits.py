"""Which providers are offered, unknown providers, settings, and the login rate limit."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.settings import SettingsError, load_settings
from tests.auth.conftest import MakeKit
from tests.auth.fakes import FakeProvider


async def test_a_provider_without_credentials_is_not_offered(client):
    resp = await client.get("/auth/providers")
    assert (await resp.json()) == {"providers": []}
    for name in ("x", "facebook", "dev"):
        login = await client.get(f"/auth/{name}/login", allow_redirects=False)
        assert login.status == 404
        assert (await login.json())["error"]["code"] == "unknown_provider"


async def test_configured_providers_are_listed(make_kit: MakeKit):
    kit = await make_kit("x", **FakeProvider("facebook").settings("http://127.0.0.1:9"))
    data = await (await kit.browser.client.get("/auth/providers")).json()
    assert data == {
        "providers": [
            {"name": "x", "label": "X", "login_url": "/auth/x/login"},
            {"name": "facebook", "label": "Facebook", "login_url": "/auth/facebook/login"},
        ]
    }


async def test_an_unknown_provider_is_a_json_404(make_kit: MakeKit):
    kit = await make_kit("x")
    for path in ("/auth/github/login", "/auth/github/callback", "/auth/X/login"):
        resp = await kit.browser.client.get(path, allow_redirects=False)
        assert resp.status == 404
        assert resp.content_type == "application/json"
        assert (await resp.json())["error"]["code"] == "unknown_provider"


def test_secrets_come_only_from_the_environment(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[oauth.x]\nclient_id = "id"\nclient_secret = "in-a-file"\n')
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ={})
    assert any(p.startswith("oauth.x.client_secret") for p in info.value.problems)


def test_secrets_are_read_from_the_environment_or_a_file_it_names(tmp_path):
    secret_file = tmp_path / "fb-secret"
    secret_file.write_text("from-a-file\n")
    settings = load_settings(
        environ={
            "SD_OAUTH_X_CLIENT_ID": "x-id",
            "SD_OAUTH_X_CLIENT_SECRET": "from-env",
            "SD_OAUTH_FACEBOOK_CLIENT_ID": "fb-id",
            "SD_OAUTH_FACEBOOK_CLIENT_SECRET_FILE": str(secret_file),
        }
    )
    assert settings.oauth.x.client_secret == "from-env"
    assert settings.oauth.facebook.client_secret == "from-a-file"


def test_an_id_without_a_secret_is_refused_at_start():
    with pytest.raises(SettingsError) as info:
        load_settings(environ={"SD_OAUTH_X_CLIENT_ID": "x-id"})
    assert any(p.startswith("oauth.x.client_secret") for p in info.value.problems)


def test_facebook_urls_take_the_configured_graph_version(settings):
    from service.auth.oauth.providers import providers_from

    configured = settings.replace(
        **{
            "oauth.facebook.client_id": "fb",
            "oauth.facebook.client_secret": "s",
            "oauth.facebook.graph_version": "v28.0",
        }
    )
    fb = providers_from(configured).get("facebook")
    assert fb is not None
    assert fb.authorize_url == "https://www.facebook.com/v28.0/dialog/oauth"
    assert fb.token_url == "https://graph.facebook.com/v28.0/oauth/access_token"
    assert fb.profile_url == "https://graph.facebook.com/v28.0/me?fields=id,name,picture"


# ---------------------------------------------------------------- rate limit


async def test_login_is_rate_limited_per_client_ip(make_kit: MakeKit):
    kit = await make_kit("x", **{"oauth.rate_limit": 3, "oauth.rate_window": 60})
    for _ in range(3):
        assert (await kit.start()).status == 302
    # A forged X-Forwarded-For from an untrusted peer changes nothing.
    resp = await kit.browser.client.get(
        "/auth/x/login", allow_redirects=False, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    body = await resp.json()
    assert body["error"]["code"] == "rate_limited"
    # Callbacks count too.
    callback = await kit.browser.client.get("/auth/x/callback", allow_redirects=False)
    assert callback.status == 429


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(make_kit: MakeKit):
    kit = await make_kit("x", **{"oauth.rate_limit": 2, "server.trusted_proxies": ["127.0.0.1"]})

    async def start(ip: str) -> int:
        resp = await kit.browser.client.get(
            "/auth/x/login",
            allow_redirects=False,
            headers={"X-Forwarded-For": f"198.51.100.1, {ip}"},
        )
        return resp.status

    assert [await start("203.0.113.1") for _ in range(3)] == [302, 302, 429]
    assert await start("203.0.113.2") == 302
    # IPv6 clients are counted per /64.
    assert [await start(f"2001:db8::{n}") for n in range(1, 4)] == [302, 302, 429]


def test_bad_trusted_proxies_are_refused_at_start(settings):
    with pytest.raises(SettingsError) as info:
        create_app(settings.replace(**{"server.trusted_proxies": ["not-an-ip"]}))
    assert info.value.problems[0].startswith("server.trusted_proxies")


async def test_login_routes_do_not_answer_head(make_kit: MakeKit, redis, key_prefix):
    kit = await make_kit("x")
    resp = await kit.browser.client.head("/auth/x/login")
    assert resp.status == 405
    assert not [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]


async def test_login_answers_match_the_openapi_document(make_kit: MakeKit):
    from tests.openapi_check import assert_conforms, operation

    kit = await make_kit("x", **{"oauth.rate_limit": 3})  # the unknown provider counts too
    client = kit.browser.client
    providers = await client.get("/auth/providers")
    assert_conforms("GET", "/auth/providers", providers.status, await providers.json())
    unknown = await client.get("/auth/nope/login", allow_redirects=False)
    assert_conforms("GET", "/auth/nope/login", unknown.status, await unknown.json())
    for _ in range(2):
        started = await kit.start()
        assert_conforms("GET", "/auth/x/login", started.status, None)
    limited = await kit.start()
    assert limited.status == 429
    assert_conforms("GET", "/auth/x/login", limited.status, await limited.json())
    # HTML pages are documented as text/html under their status.
    refused = await client.get("/auth/x/callback", allow_redirects=False)
    assert refused.status == 429
    responses = operation("GET", "/auth/x/callback")["responses"]
    for status in ("200", "400", "403", "502", "504"):
        assert "text/html" in responses[status]["content"]
