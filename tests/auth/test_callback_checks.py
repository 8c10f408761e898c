"""What the callback refuses before (and instead of) talking to the provider, and how provider
failures end: on an HTML page that says what happened, never a 500."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit

import pytest

from tests.auth.conftest import LoginKit, query_of
from tests.auth.fakes import FakeProvider
from tests.conftest import ARTICLE_ORIGIN

ARTICLE = ARTICLE_ORIGIN + "/a/1"


def with_query(url: str, **changes: str) -> str:
    q = {**query_of(url), **changes}
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(q)}"


async def assert_error_page(resp, status: int, code: str) -> str:
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == "text/html"
    assert resp.headers["X-Login-Error"] == code
    assert f'<span id="sd-error">{code}</span>' in text
    assert "script-src 'sha256-" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    return text


async def test_state_mismatch_is_refused_and_the_code_never_exchanged(kit: LoginKit):
    callback = await kit.to_callback(return_to=ARTICLE)
    resp = await kit.browser.get(with_query(callback, state="forged-" + "a" * 40))
    text = await assert_error_page(resp, 400, "state_mismatch")
    assert "token" not in kit.fake.calls
    assert f'href="{ARTICLE}"' in text  # a link back to the article
    assert kit.browser.session is None


async def test_missing_state_is_refused(x_kit: LoginKit):
    callback = await x_kit.to_callback()
    q = query_of(callback)
    del q["state"]
    resp = await x_kit.browser.get(callback.split("?")[0] + "?" + urlencode(q))
    await assert_error_page(resp, 400, "state_mismatch")
    assert "token" not in x_kit.fake.calls


async def test_a_callback_without_the_transaction_cookie_is_refused(x_kit: LoginKit):
    """Another browser (a login CSRF, or a leaked callback URL) has no binding cookie."""
    callback = await x_kit.to_callback()
    x_kit.browser.cookies.clear()
    resp = await x_kit.browser.get(callback)
    await assert_error_page(resp, 400, "login_expired")
    assert "token" not in x_kit.fake.calls


async def test_an_expired_transaction_is_refused(x_kit: LoginKit, redis, key_prefix):
    callback = await x_kit.to_callback()
    (key,) = [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]
    await redis.pexpire(key, 1)
    await asyncio.sleep(0.01)
    resp = await x_kit.browser.get(callback)
    await assert_error_page(resp, 400, "login_expired")
    assert "token" not in x_kit.fake.calls


async def test_a_transaction_past_its_time_is_refused_if_redis_kept_it(make_kit, redis, key_prefix):
    kit = await make_kit("x", **{"oauth.transaction_ttl": 60})
    callback = await kit.to_callback()
    (key,) = [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]
    import orjson

    data = orjson.loads(await redis.get(key))
    data["created_at"] -= 61_000
    await redis.set(key, orjson.dumps(data), ex=60)
    resp = await kit.browser.get(callback)
    await assert_error_page(resp, 400, "login_expired")


async def test_a_replayed_callback_is_refused(x_kit: LoginKit):
    callback = await x_kit.to_callback(return_to=ARTICLE)
    binding = dict(x_kit.browser.cookies)
    first = await x_kit.browser.get(callback)
    assert first.status == 302
    x_kit.browser.cookies.update(binding)  # the attacker replays cookie and URL together
    replay = await x_kit.browser.get(callback)
    await assert_error_page(replay, 400, "login_expired")
    assert x_kit.fake.calls.count("token") == 1


async def test_the_callback_clears_the_binding_cookie(x_kit: LoginKit):
    callback = await x_kit.to_callback()
    assert "sd_session_login" in x_kit.browser.cookies
    await x_kit.browser.get(callback)
    assert "sd_session_login" not in x_kit.browser.cookies


async def test_a_transaction_of_another_provider_is_refused(make_kit):
    """Mix-up: a login started with X must not finish at Facebook's callback."""
    kit = await make_kit("x", **FakeProvider("facebook").settings("http://127.0.0.1:9"))
    callback = await kit.to_callback()
    binding = kit.browser.cookies["sd_session_login"][0]
    resp = await kit.browser.get(
        callback.replace("/auth/x/callback", "/auth/facebook/callback"),
        headers={"Cookie": f"sd_session_login={binding}"},
    )
    await assert_error_page(resp, 400, "provider_mismatch")
    assert "token" not in kit.fake.calls


async def test_a_code_injected_from_another_login_fails_pkce(kit: LoginKit):
    """The attacker's code was issued for the attacker's challenge; the victim's verifier does
    not match it, so the provider refuses the exchange."""
    attacker_callback = await kit.to_callback()
    attacker_code = query_of(attacker_callback)["code"]
    kit.browser.cookies.clear()
    victim_callback = await kit.to_callback()
    resp = await kit.browser.get(with_query(victim_callback, code=attacker_code))
    await assert_error_page(resp, 502, "provider_refused")
    assert kit.fake.calls.count("token") == 1
    assert kit.browser.session is None


async def test_a_wrong_verifier_is_refused_by_the_provider(kit: LoginKit, redis, key_prefix):
    """PKCE end to end: the verifier the service sends must be the one behind the challenge."""
    import orjson

    callback = await kit.to_callback()
    (key,) = [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]
    data = orjson.loads(await redis.get(key))
    data["code_verifier"] = "w" * 64
    await redis.set(key, orjson.dumps(data), ex=600)
    resp = await kit.browser.get(callback)
    await assert_error_page(resp, 502, "provider_refused")
    assert kit.fake.token_forms[0]["code_verifier"] == "w" * 64
    assert "profile" not in kit.fake.calls


async def test_an_error_is_honoured_even_when_a_code_is_present(x_kit: LoginKit):
    """Authlib would look for the code; the callback looks for error= first."""
    callback = await x_kit.to_callback()
    resp = await x_kit.browser.get(with_query(callback, error="access_denied"))
    await assert_error_page(resp, 403, "access_denied")
    assert "token" not in x_kit.fake.calls


async def test_a_used_code_is_refused_by_the_provider(x_kit: LoginKit):
    first = await x_kit.to_callback()
    await x_kit.browser.get(first)
    used_code = query_of(first)["code"]
    second = await x_kit.to_callback()
    # The fake would refuse the code anyway; the point is that the service shows the refusal.
    resp = await x_kit.browser.get(with_query(second, code=used_code))
    await assert_error_page(resp, 502, "provider_refused")


async def test_denied_consent_ends_on_a_page_and_skips_the_token_call(make_kit):
    for kind in ("x", "facebook"):
        kit = await make_kit(kind, FakeProvider(kind, deny=True))
        resp = await kit.login(return_to=ARTICLE)
        text = await assert_error_page(resp, 403, "access_denied")
        assert "did not allow" in text
        assert f'href="{ARTICLE}"' in text
        assert kit.fake.calls == ["authorize"]


async def test_another_provider_error_is_a_clear_page(x_kit: LoginKit):
    callback = await x_kit.to_callback()
    q = query_of(callback)
    resp = await x_kit.browser.get(
        callback.split("?")[0] + "?" + urlencode({"state": q["state"], "error": "server_error"})
    )
    await assert_error_page(resp, 502, "provider_error")
    assert "token" not in x_kit.fake.calls


async def test_a_callback_without_code_or_error_is_refused(x_kit: LoginKit):
    callback = await x_kit.to_callback()
    q = query_of(callback)
    resp = await x_kit.browser.get(callback.split("?")[0] + "?" + urlencode({"state": q["state"]}))
    await assert_error_page(resp, 400, "missing_code")


@pytest.mark.parametrize("kind", ["x", "facebook"])
@pytest.mark.parametrize(
    ("where", "how", "status", "code"),
    [
        ("token", "500", 502, "provider_unavailable"),
        ("token", "429", 502, "provider_unavailable"),
        ("token", "non_json", 502, "provider_bad_answer"),
        ("token", "timeout", 504, "provider_timeout"),
        ("token", "no_access_token", 502, "provider_bad_answer"),
        ("profile", "500", 502, "provider_unavailable"),
        ("profile", "429", 502, "provider_unavailable"),
        ("profile", "non_json", 502, "provider_bad_answer"),
        ("profile", "timeout", 504, "provider_timeout"),
        ("profile", "omit_id", 502, "provider_bad_answer"),
    ],
)
async def test_provider_failures_end_on_an_error_page(make_kit, kind, where, how, status, code):
    fake = FakeProvider(kind, delay=1.0, **{f"{where}_failure": how})
    kit = await make_kit(kind, fake, **{"oauth.timeout": 0.3})
    resp = await kit.login(return_to=ARTICLE)
    text = await assert_error_page(resp, status, code)
    assert f'href="{ARTICLE}"' in text
    assert kit.browser.session is None
    assert kit.fake.calls.count("token") == 1  # never retried: the code is single-use


@pytest.mark.parametrize("kind", ["x", "facebook"])
async def test_a_profile_without_name_or_picture_still_logs_in(make_kit, kind):
    kit = await make_kit(kind, FakeProvider(kind, profile_failure="omit_name_and_picture"))
    resp = await kit.login()
    assert resp.status == 302
    me = await kit.me()
    user = (await me.json())["user"]
    assert user["name"] == ("kimreader" if kind == "x" else "Facebook reader")
    assert user["avatar_url"] == ""


async def test_a_wrong_client_secret_is_a_provider_refusal(make_kit):
    for kind in ("x", "facebook"):
        kit = await make_kit(kind, **{f"oauth.{kind}.client_secret": "not-the-secret"})
        resp = await kit.login()
        await assert_error_page(resp, 502, "provider_refused")


async def test_an_unreachable_token_endpoint_is_a_clear_page(make_kit):
    kit = await make_kit("x", **{"oauth.x.token_url": "http://127.0.0.1:9/token"})  # closed port
    resp = await kit.login()
    await assert_error_page(resp, 502, "provider_unavailable")
