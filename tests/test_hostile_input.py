"""A table of hostile inputs for every endpoint that takes input: each gets a 4xx with the JSON
error shape and leaves Redis exactly as it was. The login routes end on pages by design: a bad
`return_to` is replaced by the default page, and nothing a client writes reaches a header."""

from __future__ import annotations

import io

import pytest

from service.comments.ids import new_comment_id
from service.moderation.moderators import ModeratorStore
from service.store.keys import Keys
from tests.openapi_check import assert_conforms

ARTICLE = "hostile-1"
MB10 = 10 * 1024 * 1024

# Valid bodies for each JSON endpoint: every hostile variant starts from one of these.
# (path, who, valid body)
JSON_ENDPOINTS = [
    ("/api/v1/articles/{article}/comments", "reader", {"body": "A fair comment."}),
    ("/api/v1/comments/{comment}/reports", "reader", {"reason": "spam"}),
    ("/api/v1/moderation/claims", "moderator", {"view": "pending", "count": 1}),
    ("/api/v1/moderation/claims/extend", "moderator", {"ids": ["{comment}"]}),
    ("/api/v1/moderation/claims/release", "moderator", {"ids": ["{comment}"]}),
    (
        "/api/v1/moderation/comments/{comment}/decision",
        "moderator",
        {"action": "approve", "reason": "acceptable"},
    ),
    (
        "/api/v1/moderation/decisions",
        "moderator",
        {"ids": ["{comment}"], "action": "reject", "reason": "spam"},
    ),
    ("/api/v1/moderation/users/{user}/sanctions", "moderator", {"action": "ban", "reason": "spam"}),
    # Every field optional: `{}` is a valid no-op there, so it is left out of the table.
    ("/api/v1/moderation/articles/{article}", "moderator", {"closed": True, "note": "n"}),
]
VALID_THERE = {("/api/v1/moderation/articles/{article}", "missing fields")}


def _first_string_field(valid: dict) -> str | None:
    return next((k for k, v in valid.items() if isinstance(v, str)), None)


def body_variants(valid: dict) -> list[tuple[str, bytes, str]]:
    """(name, raw body, content type) of each hostile body for an endpoint."""
    import orjson

    text = _first_string_field(valid)
    out = [
        ("malformed JSON", b'{"' + next(iter(valid)).encode() + b'": ', "application/json"),
        ("not an object", b"[1, 2, 3]", "application/json"),
        ("missing fields", b"{}", "application/json"),
        ("extra field", orjson.dumps({**valid, "is_admin": True}), "application/json"),
        ("wrong type", orjson.dumps({k: {"$gt": ""} for k in valid}), "application/json"),
        ("10 MB body", b'{"x": "' + b"a" * MB10 + b'"}', "application/json"),
        ("wrong content type", orjson.dumps(valid), "text/plain"),
        ("form content type", b"body=hello", "application/x-www-form-urlencoded"),
        ("multipart without boundary", b"--x--", "multipart/form-data"),
        (
            "invalid UTF-8",
            b'{"' + next(iter(valid)).encode() + b'": "\xff\xfe\xfd"}',
            "application/json",
        ),
        (
            "lone surrogate",
            b'{"' + next(iter(valid)).encode() + b'": "\\ud800"}',
            "application/json",
        ),
        ("huge number", b'{"count": 1' + b"0" * 400 + b"}", "application/json"),
        ("negative number", orjson.dumps({**valid, "count": -5}), "application/json"),
    ]
    if text is not None:
        for name, value in [
            ("NUL bytes", "a\x00b" * 10),
            ("10,000 combining marks", "a" + "\u0301" * 10_000),
            ("10,000 characters", "x" * 10_000),
        ]:
            out.append((name, orjson.dumps({**valid, text: value}), "application/json"))
    return out


def fill(template, ids: dict[str, str]):
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, list):
        return [fill(v, ids) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    return template


async def snapshot(redis, prefix: str) -> dict[bytes, bytes]:
    """Every key under the test's prefix with its serialized value. A key SCAN lists but DUMP
    no longer finds has expired (the volume-free test policy keeps flood entries for 1 ms): it
    is not state a request could have changed."""
    out = {}
    async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        value = await redis.dump(key)
        if value is not None:
            out[key] = value
    return out


@pytest.fixture
async def world(client, reader, redis, settings):
    """A comment waiting for moderators, a moderator, and the ids the table fills in."""
    posted = await client.post(
        f"/api/v1/articles/{ARTICLE}/comments", json={"body": "Waiting."}, headers=reader.auth
    )
    assert posted.status == 201
    _, token = await ModeratorStore(redis, Keys(settings.redis.key_prefix)).add("hm", "admin")
    return {
        "auth": {"reader": reader.auth, "moderator": {"Authorization": f"Bearer {token}"}},
        "ids": {
            "article": ARTICLE,
            "comment": (await posted.json())["id"],
            "user": reader.user.id,
        },
    }


def assert_error_shape(body) -> None:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["details"], dict)


async def check_refused(client, redis, settings, method, path, **kwargs):
    before = await snapshot(redis, settings.redis.key_prefix)
    if isinstance(kwargs.get("data"), bytes) and len(kwargs["data"]) > 1 << 20:
        kwargs["data"] = io.BytesIO(kwargs["data"])  # aiohttp warns about large raw bytes
    resp = await client.request(method, path, allow_redirects=False, **kwargs)
    assert 400 <= resp.status < 500, (method, path, resp.status, (await resp.read())[:300])
    assert resp.content_type == "application/json", (method, path, resp.content_type)
    body = await resp.json()
    assert_error_shape(body)
    after = await snapshot(redis, settings.redis.key_prefix)
    assert after == before, (method, path, set(after) ^ set(before))
    return resp.status, body


@pytest.mark.parametrize(("template", "who", "valid"), JSON_ENDPOINTS, ids=lambda v: str(v)[:60])
async def test_hostile_bodies_are_refused_and_change_nothing(
    client, redis, settings, world, template, who, valid
):
    path = fill(template, world["ids"])
    for name, raw, content_type in body_variants(fill(valid, world["ids"])):
        if (template, name) in VALID_THERE:
            continue
        headers = {**world["auth"][who], "Content-Type": content_type}
        status, body = await check_refused(
            client, redis, settings, "POST", path, data=raw, headers=headers
        )
        if name == "10 MB body":
            assert status == 413, (path, name, body)
        elif name in {"wrong content type", "form content type", "multipart without boundary"}:
            assert status == 415, (path, name, body)


QUERY_CASES = [
    # (method, path template, who, query)
    ("GET", "/api/v1/articles/{article}/comments", None, {"limit": "-1"}),
    ("GET", "/api/v1/articles/{article}/comments", None, {"limit": "1" + "0" * 40}),
    ("GET", "/api/v1/articles/{article}/comments", None, {"limit": "١٢"}),  # Arabic digits
    ("GET", "/api/v1/articles/{article}/comments", None, {"cursor": "bogus!!"}),
    ("GET", "/api/v1/articles/{article}/comments", None, {"cursor": "QUFB" * 30}),
    ("GET", "/api/v1/articles/{article}/comments", None, {"cursor": "\x00"}),
    ("GET", "/api/v1/me/comments", "reader", {"limit": "0"}),
    ("GET", "/api/v1/me/comments", "reader", {"cursor": "../../etc/passwd"}),
    ("GET", "/api/v1/moderation/queue/pending", "moderator", {"limit": "-20"}),
    ("GET", "/api/v1/moderation/queue/../../x", "moderator", {}),
    ("GET", "/api/v1/moderation/queue/pending", "moderator", {"article": "../../etc/passwd"}),
    ("GET", "/api/v1/moderation/queue/pending", "moderator", {"article": "a" * 500}),
    ("GET", "/api/v1/moderation/queue/pending", "moderator", {"rule": "bad rule\r\nX: y"}),
    ("GET", "/api/v1/moderation/audit", "moderator", {"comment": "../../etc/passwd"}),
    ("GET", "/api/v1/moderation/audit", "moderator", {"limit": "99999999999"}),
    ("GET", "/api/v1/moderation/audit/export", "moderator", {"since": "²"}),
    ("GET", "/api/v1/moderation/audit/export", "moderator", {"since": "-1"}),
    ("GET", "/api/v1/moderation/stats", "moderator", {"window_hours": "-1"}),
    # Found by schemathesis: an empty number used to mean "the default".
    ("GET", "/api/v1/moderation/stats", "moderator", {"window_hours": ""}),
    ("GET", "/api/v1/articles/{article}/comments", None, {"limit": ""}),
]

PATH_CASES = [
    # Path traversal and junk in ids, raw (not normalised by the client).
    ("GET", "/api/v1/articles/..%2F..%2Fetc%2Fpasswd/comments", None),
    ("POST", "/api/v1/articles/..%2Fx/comments", "reader"),
    ("GET", "/api/v1/articles/%00/comments", None),
    ("GET", "/api/v1/moderation/comments/..%2F..%2Fsecret", "moderator"),
    ("GET", "/api/v1/moderation/comments/" + "Z" * 28, "moderator"),
    ("POST", "/api/v1/moderation/comments/%2E%2E/decision", "moderator"),
    ("GET", "/api/v1/moderation/users/..%2F..%2Fx", "moderator"),
    ("POST", "/api/v1/moderation/users/%00/sanctions", "moderator"),
    ("GET", "/api/v1/moderation/articles/..%2F..", "moderator"),
    ("POST", "/api/v1/comments/..%2F..%2Fx/reports", "reader"),
]


@pytest.mark.parametrize(("method", "template", "who", "query"), QUERY_CASES)
async def test_hostile_parameters_are_refused(
    client, redis, settings, world, method, template, who, query
):
    headers = world["auth"][who] if who else {}
    path = fill(template, world["ids"])
    await check_refused(client, redis, settings, method, path, params=query, headers=headers)


@pytest.mark.parametrize(("method", "path", "who"), PATH_CASES)
async def test_hostile_ids_in_paths_are_refused(client, redis, settings, world, method, path, who):
    from yarl import URL

    headers = world["auth"][who] if who else {}
    kwargs = (
        {"json": {"body": "x", "reason": "spam", "action": "approve"}} if method == "POST" else {}
    )
    url = URL(path, encoded=True)
    await check_refused(client, redis, settings, method, url, headers=headers, **kwargs)


async def test_a_new_comment_id_nobody_posted_is_not_found(client, world):
    cid = new_comment_id(3)
    resp = await client.get(
        f"/api/v1/moderation/comments/{cid}", headers=world["auth"]["moderator"]
    )
    assert resp.status == 404
    assert_conforms("GET", "/api/v1/moderation/comments/{comment_id}", 404, await resp.json())


@pytest.mark.parametrize(
    "return_to",
    [
        "https://news.example/a\r\nSet-Cookie: planted=1",
        "https://news.example/a%0d%0aSet-Cookie:%20planted=1",
        "https://news.example/\u2028x",
        "//evil.example/",
        "https://news.example@evil.example/",
        "javascript:alert(1)",
        "https://news.example/" + "a" * 5000,
    ],
)
async def test_header_injection_in_return_to_never_reaches_a_header(
    make_client, settings, return_to
):
    client = await make_client(settings.replace(**{"oauth.dev.enabled": True}))
    resp = await client.get(
        "/auth/dev/login", params={"return_to": return_to}, allow_redirects=False
    )
    # Documented: the login starts (302 to the provider) with a safe return page.
    assert resp.status == 302
    assert "planted" not in resp.cookies
    for name, value in resp.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
        assert "planted" not in value.lower() or name == "Location", (name, value)
    assert resp.headers["Location"].startswith("http://127.0.0.1:8080/dev-oauth/authorize?")


async def test_the_dev_provider_refuses_an_unreadable_form(make_client, settings):
    """Found by schemathesis: multipart without a boundary was a 500."""
    client = await make_client(settings.replace(**{"oauth.dev.enabled": True}))
    headers = {"Content-Type": "multipart/form-data"}
    token = await client.post("/dev-oauth/token", data=b"x", headers=headers)
    assert token.status == 400
    assert (await token.json())["error"] == "invalid_request"
    authorize = await client.post("/dev-oauth/authorize", data=b"x", headers=headers)
    assert authorize.status == 400
    assert authorize.content_type == "text/html"


async def test_a_bad_since_on_the_audit_export_is_a_clean_400(client, world):
    """Found by schemathesis: the export sent its 200 before reading `since`, so a bad value
    broke the stream in the middle instead of answering 400; and non-ASCII digits were a 500."""
    for since in ("null", "²"):
        resp = await client.get(
            "/api/v1/moderation/audit/export",
            params={"since": since},
            headers=world["auth"]["moderator"],
        )
        assert resp.status == 400
        body = await resp.json()
        assert body["error"]["details"]["field"] == "since"
