"""Every error, from our handlers or from aiohttp itself, has one JSON shape."""

from __future__ import annotations

import pytest

URL = "/api/v1/articles/a-1/comments"


def assert_error_shape(data: dict, code: str | None = None) -> None:
    assert set(data) == {"error"}
    assert set(data["error"]) == {"code", "message", "details"}
    assert isinstance(data["error"]["code"], str) and data["error"]["code"]
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]
    assert isinstance(data["error"]["details"], dict)
    if code:
        assert data["error"]["code"] == code


async def check(resp, status: int, code: str | None = None) -> dict:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    data = await resp.json()
    assert_error_shape(data, code)
    return data


async def test_unknown_path_is_a_json_404(client):
    await check(await client.get("/nope"), 404, "not_found")


async def test_wrong_method_is_a_json_405(client):
    data = await check(await client.delete(URL), 405, "method_not_allowed")
    assert "GET" in data["error"]["details"]["allowed"]


async def test_oversized_body_is_a_json_413(client, reader):
    resp = await client.post(
        URL,
        data=b'{"body": "' + b"a" * 100_000 + b'"}',
        headers={**reader.auth, "Content-Type": "application/json"},
    )
    await check(resp, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"{not json", None),
        (b"", None),
        (b"[]", None),
        (b'"just a string"', None),
        (b'{"body": 5}', "body"),
        (b'{"body": null}', "body"),
        (b'{"body": ["a"]}', "body"),
        (b"{}", "body"),
        (b'{"body": "hi", "admin": true}', "admin"),
        (b'{"body": "\\ud800"}', None),  # a lone surrogate escape
        (b'{"body": "\xff\xfe"}', None),  # invalid UTF-8
        (b'{"body": 1e999999}', None),
    ],
)
async def test_malformed_bodies_are_400_naming_the_field(
    client, reader, redis, key_prefix, payload, field
):
    resp = await client.post(
        URL, data=payload, headers={**reader.auth, "Content-Type": "application/json"}
    )
    assert resp.status in (400, 422)
    data = await resp.json()
    assert_error_shape(data)
    if field:
        assert data["error"]["details"]["field"] == field
    assert not [k async for k in redis.scan_iter(match=f"{key_prefix}:*:c:*")]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_wrong_content_type_is_415(client, reader, content_type):
    resp = await client.post(
        URL, data=b'{"body": "hi"}', headers={**reader.auth, "Content-Type": content_type}
    )
    await check(resp, 415, "unsupported_media_type")


async def test_errors_carry_a_request_id(client):
    resp = await client.get("/nope", headers={"X-Request-Id": "abcdef123456"})
    assert resp.headers["X-Request-Id"] == "abcdef123456"
    resp = await client.get("/nope", headers={"X-Request-Id": "bad id <script>"})
    assert resp.headers["X-Request-Id"] != "bad id <script>"
    assert len(resp.headers["X-Request-Id"]) == 16


async def test_unexpected_exceptions_become_a_json_500_without_details(settings, make_client):
    from aiohttp import web

    from service.app import create_app

    app = create_app(settings)

    async def boom(request):
        raise RuntimeError("secret internals")

    app.router.add_get("/boom", boom)
    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/boom")
        data = await check(resp, 500, "internal_error")
        assert "secret" not in data["error"]["message"]
    assert isinstance(app, web.Application)


async def test_a_torn_redis_connection_is_a_503_but_other_attribute_errors_are_500(settings):
    """redis-py's cluster client can tear a connection down under another command, which then
    fails inside redis-py with AttributeError; that is Redis being unreachable, not a bug."""
    from aiohttp.test_utils import TestClient, TestServer

    from service.app import create_app

    app = create_app(settings)

    async def torn(request):
        # An AttributeError raised from redis-py's connection module, as the race produces.
        code = compile(
            "None.writelines([])", "/x/site-packages/redis/asyncio/connection.py", "exec"
        )
        exec(code, {})

    async def bug(request):
        return None.missing  # type: ignore[attr-defined]

    app.router.add_get("/torn", torn)
    app.router.add_get("/bug", bug)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/torn")
        await check(resp, 503, "service_unavailable")
        assert resp.headers["Retry-After"]
        await check(await client.get("/bug"), 500, "internal_error")


@pytest.mark.parametrize("cancellation", [False, True], ids=["as-served", "handler-cancelled"])
async def test_a_client_that_hangs_up_mid_body_is_not_a_server_error(
    aiohttp_client, settings, reader, caplog, cancellation
):
    """A reader whose connection drops while sending a comment (a closed tab, a train tunnel)
    is no 500: nothing is stored, no error is logged, and the metrics count it as 499. Both
    ways aiohttp can tell the handler: the body read fails (how `serve` runs, the default), or
    the handler is cancelled (`handler_cancellation=True`)."""
    import asyncio

    from prometheus_client import REGISTRY

    from service.app import create_app

    client = await aiohttp_client(
        create_app(settings), server_kwargs={"handler_cancellation": cancellation}
    )

    labels = {"method": "POST", "route": "/api/v1/articles/{article_id}/comments"}

    def count(status: str) -> float:
        return (
            REGISTRY.get_sample_value("sd_http_requests_total", {**labels, "status": status}) or 0
        )

    before_499, before_500 = count("499"), count("500")
    _, writer = await asyncio.open_connection(client.server.host, client.server.port)
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {reader.auth['Authorization']}\r\nContent-Length: 400\r\n\r\n"
    )
    writer.write(head.encode() + b'{"body": "half a comm')
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.close()
    for _ in range(50):
        if count("499") > before_499:
            break
        await asyncio.sleep(0.02)
    assert count("499") == before_499 + 1 and count("500") == before_500
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    mine = await (await client.get("/api/v1/me/comments", headers=reader.auth)).json()
    assert mine["comments"] == []
