"""Every answer of every GET route (JSON, pages, widget files, errors, redirects, 304s) carries
the security headers; HTML pages carry a Content-Security-Policy whose frame-ancestors allow at
most the service and the configured article origins."""

from __future__ import annotations

import re

import pytest

from service.moderation.moderators import ModeratorStore
from service.store.keys import Keys
from service.web.assets import ASSETS
from tests.conftest import ARTICLE_ORIGIN

PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@pytest.fixture
async def dev_client(make_client, settings):
    return await make_client(settings.replace(**{"oauth.dev.enabled": True}))


def get_templates(app) -> list[str]:
    out = []
    for route in app.router.routes():
        if route.method != "GET" or route.resource is None:
            continue
        info = route.resource.get_info()
        out.append(info.get("formatter") or info["path"])
    return sorted(set(out))


def check_headers(where: str, resp) -> None:
    headers = resp.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in {
        "strict-origin-when-cross-origin",
        "same-origin",
        "no-referrer",
    }, where
    if resp.content_type in {"text/html", "application/json"}:
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp, (where, csp)
        match = re.search(r"frame-ancestors ([^;]+)", csp)
        assert match, (where, csp)
        allowed = set(match.group(1).split())
        assert allowed == {"'none'"} or allowed <= {"'self'", ARTICLE_ORIGIN}, (where, csp)


async def test_every_get_route_answers_with_security_headers(dev_client, reader, redis, settings):
    _, token = await ModeratorStore(redis, Keys(settings.redis.key_prefix)).add("hd", "admin")
    posted = await dev_client.post(
        "/api/v1/articles/a-1/comments", json={"body": "headers"}, headers=reader.auth
    )
    comment_id = (await posted.json())["id"]
    assets = dev_client.app[ASSETS]
    values = {
        "article_id": "a-1",
        "comment_id": comment_id,
        "provider": "dev",
        "view": "pending",
        "user_id": reader.user.id,
    }
    moderator = {"Authorization": f"Bearer {token}"}
    checked = 0
    for template in get_templates(dev_client.app):
        if "{digest" in template:
            digest = assets.style.digest if template.endswith(".css") else assets.script.digest
            paths = [PARAM.sub(digest, template), PARAM.sub("0" * 12, template)]
        else:
            paths = [PARAM.sub(lambda m: values.get(m.group(1), "x"), template)]
        auth = moderator if template.startswith("/api/v1/moderation") else reader.auth
        for path in paths:
            for headers in ({}, auth):
                resp = await dev_client.get(path, headers=headers, allow_redirects=False)
                check_headers(f"GET {path} -> {resp.status}", resp)
                etag = resp.headers.get("ETag")
                resp.close()  # the events route streams forever: its headers are enough
                checked += 1
                if etag:
                    again = await dev_client.get(path, headers={"If-None-Match": etag})
                    assert again.status == 304
                    check_headers(f"GET {path} -> 304", again)
    # Errors that no handler produced: an unknown path, a wrong method, a huge body.
    for method, path, kwargs in [
        ("GET", "/no/such/path", {}),
        ("DELETE", "/healthz", {}),
        ("POST", "/api/v1/articles/a-1/comments", {"data": b"x" * 70_000}),
    ]:
        resp = await dev_client.request(method, path, **kwargs)
        assert resp.status >= 400
        check_headers(f"{method} {path} -> {resp.status}", resp)
    assert checked > 40


async def test_pages_article_sites_may_frame_are_limited_to_the_article_origins(dev_client):
    resp = await dev_client.get("/policy")
    csp = resp.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {ARTICLE_ORIGIN}" in csp
