"""Whole logins with X and Facebook through the real app, against fakes that check what the real
providers check."""

from __future__ import annotations

import base64
import hashlib

from service.store.keys import Keys
from tests.auth.conftest import LoginKit, query_of
from tests.auth.fakes import CLIENT_ID
from tests.conftest import ARTICLE_ORIGIN

ARTICLE = ARTICLE_ORIGIN + "/politics/2026/budget?ref=front#comments"


async def test_x_login_returns_to_the_article_logged_in(x_kit: LoginKit, redis, key_prefix):
    resp = await x_kit.login(return_to=ARTICLE)
    assert resp.status == 302, await resp.text()
    assert resp.headers["Location"] == ARTICLE
    token = x_kit.browser.session
    assert token
    me = await x_kit.me(token)
    data = await me.json()
    assert data["user"]["name"] == "Kim Reader"
    assert data["user"]["provider"] == "x"
    assert data["user"]["avatar_url"] == "https://img.example/kim.jpg"
    assert x_kit.fake.calls == ["authorize", "token", "profile"]
    # X: HTTP Basic client authentication, nothing secret in the body, the PKCE verifier sent.
    form = x_kit.fake.token_forms[0]
    assert "client_secret" not in form and form["code_verifier"]
    assert form["redirect_uri"] == "http://127.0.0.1:8080/auth/x/callback"
    ident = await redis.get(Keys(key_prefix).identity("x", "1000001"))
    assert ident.decode() == data["user"]["id"]


async def test_facebook_login_returns_to_the_article_logged_in(facebook_kit: LoginKit):
    resp = await facebook_kit.login(return_to=ARTICLE)
    assert resp.status == 302, await resp.text()
    assert resp.headers["Location"] == ARTICLE
    me = await facebook_kit.me()
    data = await me.json()
    assert data["user"]["provider"] == "facebook"
    assert data["user"]["name"] == "Kim Reader"
    assert facebook_kit.fake.calls == ["authorize", "token", "profile"]
    form = facebook_kit.fake.token_forms[0]
    assert form["client_id"] == CLIENT_ID and form["client_secret"]


async def test_the_authorization_request_carries_pkce_state_and_the_exact_callback(kit: LoginKit):
    resp = await kit.start(return_to=ARTICLE)
    assert resp.status == 302
    location = resp.headers["Location"]
    assert location.startswith(kit.fake.base_url + kit.fake.paths["authorize"] + "?")
    q = query_of(location)
    assert q["response_type"] == "code"
    assert q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == f"http://127.0.0.1:8080/auth/{kit.provider}/callback"
    assert q["code_challenge_method"] == "S256"
    assert len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 43
    assert resp.headers["Cache-Control"] == "no-store"


async def test_the_transaction_holds_the_verifier_of_the_challenge(x_kit, redis, key_prefix):
    import orjson

    resp = await x_kit.start(return_to=ARTICLE)
    q = query_of(resp.headers["Location"])
    keys = [k async for k in redis.scan_iter(match=f"{key_prefix}:login:*")]
    assert len(keys) == 1
    assert 590 <= await redis.ttl(keys[0]) <= 600
    stored = orjson.loads(await redis.get(keys[0]))
    verifier = stored["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge.decode() == q["code_challenge"]
    assert stored["state"] == q["state"]
    assert stored["return_to"] == ARTICLE
    # The browser's binding value is not stored, only a digest of it names the key.
    binding = x_kit.browser.cookies["sd_session_login"][0]
    assert binding not in keys[0].decode()


async def test_a_second_login_refreshes_name_and_avatar_but_keeps_the_user(make_kit):
    kit = await make_kit("x")
    await kit.login()
    first = await kit.me()
    first_user = (await first.json())["user"]
    kit.fake.user = {
        "id": "1000001",
        "name": "Kim R. Renamed",
        "image": "https://img.example/new.jpg",
    }
    await kit.login()
    second = await kit.me()
    second_user = (await second.json())["user"]
    assert second_user["id"] == first_user["id"]
    assert second_user["name"] == "Kim R. Renamed"
    assert second_user["avatar_url"] == "https://img.example/new.jpg"


async def test_provider_tokens_are_not_stored(x_kit: LoginKit, redis, key_prefix):
    await x_kit.login()
    issued = list(x_kit.fake.tokens)
    assert issued
    for key in [k async for k in redis.scan_iter(match=f"{key_prefix}:*")]:
        kind = (await redis.type(key)).decode()
        if kind == "string":
            values = [await redis.get(key)]
        elif kind == "hash":
            values = list((await redis.hgetall(key)).values())
        elif kind == "set":
            values = list(await redis.smembers(key))
        else:
            values = []
        for value in values:
            assert all(t.encode() not in value for t in issued), key


async def test_no_return_to_goes_to_the_default_page(x_kit: LoginKit):
    resp = await x_kit.login()
    assert resp.headers["Location"] == "http://127.0.0.1:8080/"


async def test_a_path_on_the_service_is_a_valid_return_to(x_kit: LoginKit):
    resp = await x_kit.login(return_to="/demo/article-1?x=1")
    assert resp.headers["Location"] == "http://127.0.0.1:8080/demo/article-1?x=1"
