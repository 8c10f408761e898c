"""What the service's HTML pages share: the document around a body, and their headers."""

from __future__ import annotations

import html

from aiohttp import web


def document(*, lang: str, title: str, head: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def html_response(text: str, *, csp: str, cache: str) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = cache
    return response
