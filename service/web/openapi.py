"""The widget's and pages' part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from ..openapi import error

DIGEST = {
    "name": "digest",
    "in": "path",
    "required": True,
    "description": "The file's content hash; another value redirects to the current file.",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
}


def _file(summary: str, content_type: str, cache: str, *, hashed: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": f"{cache} Gzipped when the client accepts it; ETag for revalidation.",
            "content": {content_type: {"schema": {"type": "string"}}},
        },
        "304": {"description": "Not modified (If-None-Match)."},
    }
    if hashed:
        responses["302"] = {"description": "An old digest: go to the current file."}
        responses["404"] = error("Not a content hash (12 hexadecimal digits).")
    operation: dict[str, Any] = {"summary": summary, "tags": ["widget"], "responses": responses}
    if hashed:
        return {"parameters": [DIGEST], "get": operation}
    return {"get": operation}


def _page(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["pages"],
            "responses": {
                "200": {
                    "description": "An HTML page with a Content-Security-Policy.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            },
        }
    }


PATHS: dict[str, Any] = {
    "/widget/v1/embed.js": _file(
        "The comment widget, at the URL article pages embed.",
        "text/javascript",
        "Cached for an hour.",
        hashed=False,
    ),
    "/widget/v1/embed.{digest}.js": _file(
        "The comment widget under its content hash.",
        "text/javascript",
        "Cached for a year (immutable).",
        hashed=True,
    ),
    "/widget/v1/widget.{digest}.css": _file(
        "The widget's style sheet under its content hash.",
        "text/css",
        "Cached for a year (immutable).",
        hashed=True,
    ),
    "/policy": _page("The standards-board policy, in English and Korean."),
    "/demo": {
        "get": {
            **_page("Development only: a demo article page with the comment widget.")["get"],
            "parameters": [
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "description": "en or ko; any other value shows the English page.",
                    "schema": {"type": "string"},
                }
            ],
        }
    },
}
