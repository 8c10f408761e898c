"""The OpenAPI document describes every route, is served, is kept in docs/, and matches what the
service answers."""

from __future__ import annotations

from pathlib import Path

from service.app import create_app
from service.openapi import document, dumps
from tests.openapi_check import assert_conforms

ROOT = Path(__file__).resolve().parent.parent


def test_every_route_is_described(settings):
    app = create_app(settings)
    paths = document()["paths"]
    missing = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        info = route.resource.get_info() if route.resource else {}
        template = info.get("formatter") or info.get("path")
        if template is None or info.get("directory"):
            continue  # static files are described in the README, not the API
        if route.method.lower() not in paths.get(template, {}):
            missing.append(f"{route.method} {template}")
    assert not missing, f"routes missing from the OpenAPI document: {missing}"


def test_the_committed_document_is_current():
    assert (ROOT / "docs" / "openapi.json").read_bytes() == dumps(), "run `make docs`"


async def test_the_document_is_served(client):
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    data = await resp.json()
    assert data["openapi"].startswith("3.1")


async def test_responses_match_the_document(client, reader):
    url = "/api/v1/articles/a-1/comments"
    cases = [
        ("GET", "/healthz", await client.get("/healthz")),
        ("GET", "/readyz", await client.get("/readyz")),
        ("GET", url, await client.get(url)),
        ("GET", url, await client.get(url, params={"limit": "0"})),
        ("POST", url, await client.post(url, json={"body": "hi"}, headers=reader.auth)),
        ("POST", url, await client.post(url, json={"body": "x" * 300}, headers=reader.auth)),
        ("POST", url, await client.post(url, json={"body": "hi"})),
        ("POST", url, await client.post(url, data="hi", headers=reader.auth)),
        (
            "GET",
            "/api/v1/me/comments",
            await client.get("/api/v1/me/comments", headers=reader.auth),
        ),
        ("GET", "/auth/me", await client.get("/auth/me", headers=reader.auth)),
        ("POST", "/auth/logout", await client.post("/auth/logout", headers=reader.auth)),
    ]
    for method, path, resp in cases:
        body = await resp.json() if resp.content_type == "application/json" else None
        assert_conforms(method, path, resp.status, body)
