"""The baseline: a bare aiohttp app doing no work but decoding the same JSON bodies and sending
answers of the same size (a page of 20 comments, as the service's pages in bench/load.py).
Several copies can share a port (SO_REUSEPORT) to match the service's worker count."""

from __future__ import annotations

import sys

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler


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


BODY = (
    "정부의 새 예산안은 지역 병원과 학교에 대한 지원을 늘린다고 하지만 세부 내용이 부족해 보입니다. "
    "The plan sounds fine on paper, but who pays for it in year {}? 기사 잘 읽었습니다."
)
PAGE = orjson.dumps(
    {
        "comments": [
            {
                "id": f"01JD{i:022d}AA",
                "article_id": "bench-1",
                "body": BODY.format(i),
                "created_at": "2026-11-26T21:00:00.000Z",
                "author": {"id": f"{i:032x}", "name": f"Bench reader {i}", "avatar_url": ""},
            }
            for i in range(20)
        ],
        "next_cursor": "MDFKRDAwMDAwMDAwMDAwMDAwMDAwMDAwMDBBQQ",
        "approved_count": 120,
    }
)


async def get(request: web.Request) -> web.Response:
    return web.Response(body=PAGE, content_type="application/json")


def serve(port: int, post_handler: Handler = post) -> None:
    """The app on `port`, answering posts with `post_handler` (bench/floor_app.py's adds the
    checks and rules)."""
    app = web.Application()
    app.router.add_post("/api/v1/articles/{article_id}/comments", post_handler)
    app.router.add_get("/api/v1/articles/{article_id}/comments", get)
    app.router.add_post("/api/v1/moderation/{tail:.*}", moderation)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, reuse_port=True)


def main() -> None:
    serve(int(sys.argv[1]))


if __name__ == "__main__":
    main()
