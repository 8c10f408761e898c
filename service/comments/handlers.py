"""HTTP routes for comments: parse, call the domain, shape the answer."""

from __future__ import annotations

import orjson
from aiohttp import web

from ..appkeys import COMMENTS, PAGES, SCREENING, SETTINGS
from ..auth.web import require_reader
from ..errors import InvalidRequest
from ..http.body import Field, json_response, query_int, read_json
from ..http.forwarded import client_address
from .ids import ARTICLE_ID, decode_cursor, encode_cursor
from .intake import submit
from .pagecache import PageCache
from .store import Page

IDEMPOTENCY_HEADER = "Idempotency-Key"


def article_id_of(request: web.Request) -> str:
    article_id = request.match_info["article_id"]
    if not ARTICLE_ID.match(article_id):
        raise InvalidRequest(
            "Article ids are 1 to 128 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit.",
            field="article_id",
        )
    return article_id


def cursor_of(request: web.Request) -> str | None:
    raw = request.query.get("cursor")
    if not raw:
        return None
    before = decode_cursor(raw)
    if before is None:
        raise InvalidRequest("The cursor is not valid.", field="cursor")
    return before


def idempotency_key_of(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 128 printable ASCII characters.",
            field=IDEMPOTENCY_HEADER,
        )
    return key


def _page_body(page: Page, items: list[dict[str, object]]) -> dict[str, object]:
    body: dict[str, object] = {
        "comments": items,
        "next_cursor": encode_cursor(page.next_id) if page.next_id else None,
    }
    if page.total is not None:
        body["approved_count"] = page.total
    return body


async def post_comment(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS].comments
    article_id = article_id_of(request)
    idempotency_key = idempotency_key_of(request)
    reader = await require_reader(request)
    data = await read_json(request, (Field("body", str),))
    stored = await submit(
        request.app[COMMENTS],
        request.app[SCREENING],
        settings,
        reader.user,
        article_id,
        data["body"],
        idempotency_key,
        client_address(request),
    )
    if stored.comment.status == "approved" and not stored.replayed:
        request.app[PAGES].forget(article_id)  # published at once (post-moderation)
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else None
    return json_response(stored.comment.for_author(), status=201, headers=headers)


async def list_comments(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS].comments
    article_id = article_id_of(request)
    limit = query_int(request, "limit", settings.page_size, 1, settings.max_page_size)
    cursor = cursor_of(request)
    store = request.app[COMMENTS]

    async def encoded() -> bytes:
        page = await store.public_page(article_id, cursor, limit)
        return orjson.dumps(_page_body(page, [c.public() for c in page.comments]))

    body = await request.app[PAGES].get((article_id, cursor or "", limit), encoded)
    response = web.Response(body=body, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


async def my_comments(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS].comments
    limit = query_int(request, "limit", settings.page_size, 1, settings.max_page_size)
    reader = await require_reader(request)
    page = await request.app[COMMENTS].author_page(reader.user.id, cursor_of(request), limit)
    return json_response(_page_body(page, [c.for_author() for c in page.comments]))


def setup_routes(app: web.Application) -> None:
    settings = app[SETTINGS].comments
    app[PAGES] = PageCache(settings.page_cache_seconds, settings.page_cache_bytes)
    app.router.add_post("/api/v1/articles/{article_id}/comments", post_comment)
    app.router.add_get("/api/v1/articles/{article_id}/comments", list_comments)
    app.router.add_get("/api/v1/me/comments", my_comments)
