"""The OpenAPI 3.1 description of every route.

Written as data with a few helpers so that the error shape and the shared schemas are stated once.
`python -m service openapi` prints it; `docs/openapi.json` is that output, kept in the repository
(a test checks the two agree and that every route of the app is described).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from . import __version__

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


def ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
COMMON_ERRORS = {
    "400": error("Malformed request: the details name the field."),
    "413": error("The body is larger than the service accepts."),
    "503": {
        **error("Redis is unreachable; retry after Retry-After seconds."),
        "headers": RETRY_AFTER,
    },
}
AUTH_ERRORS = {
    "401": error("Not logged in, or the token is unknown or expired."),
    "403": error("CSRF check failed, or the account may not do this."),
}
ARTICLE_ID = {
    "name": "article_id",
    "in": "path",
    "required": True,
    "description": "1 to 128 characters: letters, digits, '.', '_' and '-', starting with a "
    "letter or digit.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"},
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "The next_cursor of the previous page.",
    "schema": {"type": "string", "maxLength": 64},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "description": "Stable, machine-readable."},
                    "message": {"type": "string", "description": "For people."},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "Author": {
        "type": "object",
        "required": ["id", "name", "avatar_url"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "avatar_url": {"type": "string"},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "article_id", "body", "created_at", "author"],
        "properties": {
            "id": {"type": "string"},
            "article_id": {"type": "string"},
            "body": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "author": ref("Author"),
        },
    },
    "Reason": {
        "type": "object",
        "description": "Why a rule acted on the comment, in English and Korean.",
        "properties": {
            "rule": {"type": "string"},
            "action": {"type": "string"},
            "en": {"type": "string"},
            "ko": {"type": "string"},
        },
    },
    "OwnComment": {
        "allOf": [
            ref("Comment"),
            {
                "type": "object",
                "required": ["status", "reasons"],
                "properties": {
                    "status": {"enum": ["pending", "approved", "rejected", "withheld"]},
                    "reasons": {"type": "array", "items": ref("Reason")},
                },
            },
        ]
    },
    "CommentPage": {
        "type": "object",
        "required": ["comments", "next_cursor", "approved_count"],
        "properties": {
            "comments": {"type": "array", "items": ref("Comment")},
            "next_cursor": {"type": ["string", "null"]},
            "approved_count": {"type": "integer", "minimum": 0},
        },
    },
    "OwnCommentPage": {
        "type": "object",
        "required": ["comments", "next_cursor"],
        "properties": {
            "comments": {"type": "array", "items": ref("OwnComment")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": {
                "type": "string",
                "description": "1 to 250 user-perceived characters (grapheme clusters after NFC "
                "and trimming); no control characters but newline and tab.",
            }
        },
    },
    "Me": {
        "type": "object",
        "required": ["user", "csrf_token"],
        "properties": {
            "user": {
                "allOf": [
                    ref("Author"),
                    {
                        "type": "object",
                        "properties": {
                            "provider": {"type": "string"},
                            "status": {"type": "string"},
                        },
                    },
                ]
            },
            "csrf_token": {
                "type": "string",
                "description": "Send as X-CSRF-Token on changes made with the session cookie.",
            },
        },
    },
    "Status": {"type": "object", "properties": {"status": {"type": "string"}}},
}


def document() -> dict[str, Any]:
    from .auth.oauth import openapi as login
    from .moderation import openapi as moderation
    from .web import openapi as web_pages

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Standards Desk",
            "version": __version__,
            "description": "Comment moderation for news sites. Every error has the Error shape.",
        },
        "components": {
            "schemas": {**SCHEMAS, **login.SCHEMAS, **moderation.SCHEMAS},
            "securitySchemes": {
                "session": {"type": "http", "scheme": "bearer", "description": "A session token."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "sd_session"},
                "metrics": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The metrics token, metrics.token (SD_METRICS_TOKEN).",
                },
                "moderator": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A moderator token, sdm_…, from `moderators add`.",
                },
            },
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "The process is up.",
                    "responses": {"200": ok("Up.", ref("Status"))},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Redis answers.",
                    "responses": {
                        "200": ok("Ready.", ref("Status")),
                        "503": COMMON_ERRORS["503"],
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics (text exposition format), every worker's.",
                    "description": "Answers requests from loopback that came through no proxy, "
                    "or with `Authorization: Bearer <metrics.token>` (SD_METRICS_TOKEN).",
                    "security": [{}, {"metrics": []}],
                    "responses": {
                        "200": {
                            "description": "The metrics.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "401": error("A metrics token is set and was not sent, or is wrong."),
                        "403": error("Not from loopback, and no metrics token is set."),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": ok("OpenAPI 3.1.", {"type": "object"})},
                }
            },
            "/auth/me": {
                "get": {
                    "summary": "The logged-in reader.",
                    "security": [{"session": []}, {"cookie": []}],
                    "responses": {
                        "200": ok("The reader.", ref("Me")),
                        **AUTH_ERRORS,
                        **COMMON_ERRORS,
                    },
                }
            },
            "/auth/logout": {
                "post": {
                    "summary": "End the session: the token and the cookie stop working at once.",
                    "security": [{"session": []}, {"cookie": []}],
                    "responses": {
                        "204": {"description": "Logged out."},
                        **AUTH_ERRORS,
                        **COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/articles/{article_id}/comments": {
                "parameters": [ARTICLE_ID],
                "get": {
                    "summary": "Approved comments, newest first.",
                    "parameters": [LIMIT, CURSOR],
                    "responses": {"200": ok("A page.", ref("CommentPage")), **COMMON_ERRORS},
                },
                "post": {
                    "summary": "Post a comment; it waits for the moderators or is refused.",
                    "security": [{"session": []}, {"cookie": []}],
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A retry with the same key returns the first result.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": ref("NewComment")}},
                    },
                    "responses": {
                        "201": ok("Stored and queued.", ref("OwnComment")),
                        **AUTH_ERRORS,
                        "409": error("The Idempotency-Key was used for another comment."),
                        "415": error("The body is not application/json."),
                        "422": error(
                            "Too long, too short, invalid characters, or refused by "
                            "the standards-board rules (details.reasons)."
                        ),
                        **COMMON_ERRORS,
                    },
                },
            },
            "/api/v1/me/comments": {
                "get": {
                    "summary": "The reader's own comments, any status, with reasons.",
                    "security": [{"session": []}, {"cookie": []}],
                    "parameters": [LIMIT, CURSOR],
                    "responses": {
                        "200": ok("A page.", ref("OwnCommentPage")),
                        **AUTH_ERRORS,
                        **COMMON_ERRORS,
                    },
                }
            },
            **login.PATHS,
            **moderation.PATHS,
            **web_pages.PATHS,
        },
    }


def dumps() -> bytes:
    return orjson.dumps(document(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


async def serve_document(request: web.Request) -> web.Response:
    return web.Response(body=dumps(), content_type="application/json")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", serve_document)
