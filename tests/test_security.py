"""CSRF protection for cookie sessions, CORS for article origins, security headers, logout."""

from __future__ import annotations

import pytest

from tests.conftest import ARTICLE_ORIGIN

URL = "/api/v1/articles/a-1/comments"


async def csrf_token(client, reader) -> str:
    me = await (await client.get("/auth/me", headers=reader.auth)).json()
    return me["csrf_token"]


def cookie(reader) -> dict[str, str]:
    return {"Cookie": f"sd_session={reader.token}"}


async def test_cookie_post_from_an_article_page_with_the_token_is_accepted(client, reader):
    token = await csrf_token(client, reader)
    resp = await client.post(
        URL,
        json={"body": "hello"},
        headers={**cookie(reader), "Origin": ARTICLE_ORIGIN, "X-CSRF-Token": token},
    )
    assert resp.status == 201


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://news.example.evil.example"},
        {"Origin": "null"},
        {},  # no Origin and no Referer
        {"Referer": "https://evil.example/news.example"},
    ],
)
async def test_cookie_post_from_another_origin_is_refused(
    client, reader, headers, redis, key_prefix
):
    token = await csrf_token(client, reader)
    resp = await client.post(
        URL, json={"body": "forged"}, headers={**cookie(reader), **headers, "X-CSRF-Token": token}
    )
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "csrf_failed"
    assert not [k async for k in redis.scan_iter(match=f"{key_prefix}:*:c:*")]


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_cookie_post_without_the_session_token_is_refused(client, reader, token):
    headers = {**cookie(reader), "Origin": ARTICLE_ORIGIN}
    if token is not None:
        headers["X-CSRF-Token"] = token
    resp = await client.post(URL, json={"body": "forged"}, headers=headers)
    assert resp.status == 403
    assert (await resp.json())["error"]["details"]["reason"] == "token"


async def test_bearer_requests_need_no_csrf_token(client, reader):
    resp = await client.post(
        URL, json={"body": "hi"}, headers={**reader.auth, "Origin": "https://elsewhere.example"}
    )
    assert resp.status == 201


async def test_referer_stands_in_for_a_missing_origin(client, reader):
    token = await csrf_token(client, reader)
    resp = await client.post(
        URL,
        json={"body": "from a page"},
        headers={
            **cookie(reader),
            "Referer": f"{ARTICLE_ORIGIN}/2026/11/story",
            "X-CSRF-Token": token,
        },
    )
    assert resp.status == 201


async def test_cors_preflight_from_an_article_origin(client):
    resp = await client.options(
        URL,
        headers={
            "Origin": ARTICLE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ARTICLE_ORIGIN
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]


async def test_cors_preflight_from_elsewhere_is_refused(client):
    resp = await client.options(
        URL, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert (await resp.json())["error"]["code"] == "origin_not_allowed"


async def test_simple_requests_get_cors_headers_only_for_allowed_origins(client):
    ok = await client.get(URL, headers={"Origin": ARTICLE_ORIGIN})
    assert ok.headers["Access-Control-Allow-Origin"] == ARTICLE_ORIGIN
    assert "Origin" in ok.headers.getall("Vary")
    other = await client.get(URL, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_errors_for_allowed_origins_are_readable_cross_origin(client):
    resp = await client.post(URL, json={"body": "x"}, headers={"Origin": ARTICLE_ORIGIN})
    assert resp.status == 401
    assert resp.headers["Access-Control-Allow-Origin"] == ARTICLE_ORIGIN


async def test_security_headers_on_every_response(client):
    for resp in (await client.get(URL), await client.get("/nope"), await client.get("/healthz")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


async def test_logout_revokes_the_token_at_once(client, reader):
    assert (await client.get("/auth/me", headers=reader.auth)).status == 200
    resp = await client.post("/auth/logout", headers=reader.auth)
    assert resp.status == 204
    assert (await client.get("/auth/me", headers=reader.auth)).status == 401
    again = await client.post(URL, json={"body": "after logout"}, headers=reader.auth)
    assert again.status == 401


async def test_logout_with_the_cookie_clears_it_and_needs_csrf(client, reader):
    refused = await client.post(
        "/auth/logout", headers={**cookie(reader), "Origin": ARTICLE_ORIGIN}
    )
    assert refused.status == 403
    token = await csrf_token(client, reader)
    resp = await client.post(
        "/auth/logout", headers={**cookie(reader), "Origin": ARTICLE_ORIGIN, "X-CSRF-Token": token}
    )
    assert resp.status == 204
    morsel = resp.cookies["sd_session"]
    assert morsel.value == ""
    assert morsel["httponly"]
    assert (await client.get("/auth/me", headers=cookie(reader))).status == 401


async def test_a_stale_cookie_reads_as_logged_out(client):
    resp = await client.get("/auth/me", headers={"Cookie": "sd_session=0123456789abcdef.nothing"})
    assert resp.status == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token abc"])
async def test_malformed_authorization_headers_are_401(client, header):
    resp = await client.get("/auth/me", headers={"Authorization": header})
    assert resp.status == 401
