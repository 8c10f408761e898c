"""The session a login creates: rotation, cookie flags, logout, a banned reader, popup mode."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from service.auth.oauth.pages import CONTENT_SECURITY_POLICY
from service.auth.users import UserStore
from service.store.keys import Keys
from tests.auth.conftest import LoginKit, MakeKit
from tests.auth.fakes import FakeProvider
from tests.conftest import ARTICLE_ORIGIN

SERVICE = "http://127.0.0.1:8080"


async def test_login_rotates_the_session(x_kit: LoginKit, make_reader, redis, key_prefix):
    """A session id planted before login (fixation) is deleted at login, not reused."""
    before = await make_reader("Someone Else")
    x_kit.browser.cookies["sd_session"] = (before.token, "/")
    user_id, _, _ = before.token.partition(".")
    assert await redis.scard(Keys(key_prefix).user_sessions(user_id)) == 1

    resp = await x_kit.login()
    assert resp.status == 302
    after = x_kit.browser.session
    assert after and after != before.token
    assert await redis.scard(Keys(key_prefix).user_sessions(user_id)) == 0
    assert (await x_kit.me(before.token)).status == 401
    assert (await x_kit.me(after)).status == 200


async def test_logging_in_twice_gives_a_new_session_each_time(x_kit: LoginKit):
    await x_kit.login()
    first = x_kit.browser.session
    await x_kit.login()
    second = x_kit.browser.session
    assert first != second
    assert (await x_kit.me(first)).status == 401


def set_cookie(resp, name: str) -> str:
    (header,) = [h for h in resp.headers.getall("Set-Cookie") if h.startswith(name + "=")]
    return header


async def test_session_cookie_flags(x_kit: LoginKit):
    resp = await x_kit.login()
    header = set_cookie(resp, "sd_session")
    assert "HttpOnly" in header
    assert "Secure" in header
    assert "SameSite=Lax" in header
    assert "Path=/" in header
    assert "Max-Age=2592000" in header


async def test_session_cookie_without_secure_in_plain_http_development(make_kit: MakeKit):
    kit = await make_kit(
        "x", **{"sessions.cookie_secure": False, "sessions.cookie_samesite": "Strict"}
    )
    header = set_cookie(await kit.login(), "sd_session")
    assert "Secure" not in header
    assert "SameSite=Strict" in header
    assert "HttpOnly" in header


async def test_the_transaction_cookie_is_short_lived_and_scoped_to_the_callback(x_kit: LoginKit):
    resp = await x_kit.start()
    header = set_cookie(resp, "sd_session_login")
    assert "HttpOnly" in header
    assert "Secure" in header
    # Lax even when the session cookie is Strict: the provider's redirect is cross-site.
    assert "SameSite=Lax" in header
    assert "Path=/auth/x/callback" in header
    assert "Max-Age=600" in header


async def test_logout_revokes_the_token_and_the_cookie(x_kit: LoginKit):
    await x_kit.login()
    token = x_kit.browser.session
    client = x_kit.browser.client
    me = await (await x_kit.me()).json()
    resp = await x_kit.browser.post(
        "/auth/logout", headers={"Origin": SERVICE, "X-CSRF-Token": me["csrf_token"]}
    )
    assert resp.status == 204
    assert x_kit.browser.session is None  # the cookie was cleared
    cookie = await client.get("/auth/me", headers={"Cookie": f"sd_session={token}"})
    assert cookie.status == 401
    bearer = await x_kit.me(token)
    assert bearer.status == 401
    assert (await bearer.json())["error"]["code"] == "invalid_token"


async def test_a_banned_reader_can_log_in_but_not_post(x_kit: LoginKit, redis, key_prefix):
    await x_kit.login()
    user_id = (await (await x_kit.me()).json())["user"]["id"]
    await UserStore(redis, Keys(key_prefix)).set_status(user_id, "banned", reason="spam")

    resp = await x_kit.login()
    assert resp.status == 302
    me = await (await x_kit.me()).json()
    assert me["user"]["status"] == "banned"
    posted = await x_kit.browser.client.post(
        "/api/v1/articles/a-1/comments",
        json={"body": "let me in"},
        headers={"Authorization": f"Bearer {x_kit.browser.session}"},
    )
    assert posted.status == 403
    assert (await posted.json())["error"]["code"] == "user_banned"


# ---------------------------------------------------------------- popup mode


def page_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="sd-data">(.*?)</script>', text, re.S)
    assert match
    return json.loads(match.group(1))


def inline_scripts(text: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", text, re.S)


async def test_popup_posts_the_token_to_the_exact_article_origin(x_kit: LoginKit):
    resp = await x_kit.login(mode="popup", origin=ARTICLE_ORIGIN + "/")
    text = await resp.text()
    assert resp.status == 200, text
    assert resp.content_type == "text/html"
    data = page_data(text)
    assert data["origin"] == ARTICLE_ORIGIN  # targetOrigin: never "*"
    assert data["close"] is True
    message = data["message"]
    assert message["type"] == "standards-desk:login"
    assert message["user"]["name"] == "Kim Reader"
    assert message["token"] == x_kit.browser.session
    assert (await x_kit.me(message["token"])).status == 200
    assert "window.opener.postMessage(data.message, data.origin)" in text
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_the_popup_page_runs_only_its_own_hashed_script(x_kit: LoginKit):
    resp = await x_kit.login(mode="popup", origin=ARTICLE_ORIGIN)
    text = await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    (script,) = inline_scripts(text)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


async def test_the_popup_page_escapes_what_the_provider_sent(make_kit: MakeKit):
    evil = "</script><script>alert(1)</script><!--"
    fake = FakeProvider("x", user={"id": "7", "name": evil, "image": "javascript:alert(1)"})
    kit = await make_kit("x", fake)
    resp = await kit.login(mode="popup", origin=ARTICLE_ORIGIN)
    text = await resp.text()
    assert "<script>alert(1)" not in text
    assert len(inline_scripts(text)) == 1
    user = page_data(text)["message"]["user"]
    assert user["name"] == evil  # intact once parsed, inert in the page
    assert user["avatar_url"] == ""  # only https avatars are kept


async def test_popup_from_an_origin_that_is_not_allowed_is_refused(
    x_kit: LoginKit, redis, key_prefix
):
    for origin in ("https://evil.example", "https://news.example.evil.example", "null", ""):
        resp = await x_kit.start(mode="popup", origin=origin)
        assert resp.status == 400
        assert resp.headers["X-Login-Error"] == "origin_not_allowed"
    assert not [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]
    assert x_kit.fake.calls == []


async def test_a_popup_login_that_fails_tells_the_opener(make_kit: MakeKit):
    kit = await make_kit("x", FakeProvider("x", deny=True))
    resp = await kit.login(mode="popup", origin=ARTICLE_ORIGIN)
    assert resp.status == 403
    data = page_data(await resp.text())
    assert data["origin"] == ARTICLE_ORIGIN
    assert data["message"] == {"type": "standards-desk:login-error", "code": "access_denied"}
    assert data["close"] is False


async def test_an_unknown_mode_is_refused(x_kit: LoginKit):
    resp = await x_kit.start(mode="iframe")
    assert resp.status == 400
    assert resp.headers["X-Login-Error"] == "invalid_mode"
