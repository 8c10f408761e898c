"""The baseline: a bare aiohttp app doing no work but decoding the same JSON bodies. Several
copies can share a port (SO_REUSEPORT) to match the service's worker count."""

from __future__ import annotations

import sys

import orjson
from aiohttp import web


async def post(request: web.Request) -> web.Response:
    data = orjson.loads(await request.read())
    return web.Response(
        body=orjson.dumps({"id": "01JD0000000000000000000000AA", "body": data.get("body", "")}),
        status=201,
        content_type="application/json",
    )


async def moderation(request: web.Request) -> web.Response:
    orjson.loads(await request.read())
    return web.Response(
        body=orjson.dumps({"claims": [{"comment": {"id": "01JD0000000000000000000000AA"}}]}),
        content_type="application/json",
    )


async def get(request: web.Request) -> web.Response:
    return web.Response(
        body=orjson.dumps({"comments": [], "next_cursor": None, "approved_count": 0}),
        content_type="application/json",
    )


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/v1/articles/{article_id}/comments", post)
    app.router.add_get("/api/v1/articles/{article_id}/comments", get)
    app.router.add_post("/api/v1/moderation/{tail:.*}", moderation)
    web.run_app(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, reuse_port=True
    )


if __name__ == "__main__":
    main()
