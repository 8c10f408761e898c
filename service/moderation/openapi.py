"""The moderation routes of the OpenAPI document (merged by `service.openapi.document()`)."""

from __future__ import annotations

from typing import Any

from ..comments.ids import ARTICLE_ID as ARTICLE_ID_PATTERN
from ..openapi import ARTICLE_ID, AUTH_ERRORS, COMMON_ERRORS, JSON, error, ok, ref
from ..rules.ruleset import RULE_ID
from .model import ACTIONS, VIEWS
from .reports import MAX_DETAILS, REPORT_REASONS
from .sanctions import SANCTIONS

MODERATOR: list[dict[str, list[str]]] = [{"moderator": []}]
MOD_ERRORS = {
    "401": error("No moderator token (Authorization: Bearer sdm_…), or unknown or revoked."),
    "403": error("The moderator's role may not do this."),
    **COMMON_ERRORS,
}
COMMENT_ID = {
    "name": "comment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{28}$"},
}
IDS = {
    "type": "array",
    "items": {"type": "string"},
    "minItems": 1,
    "description": "Comment ids; at most moderation.max_claim.",
}
ISO = {"type": "string", "format": "date-time"}
ISO_OR_NULL = {"type": ["string", "null"], "format": "date-time"}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


ARTICLE_STATE = {
    "type": "object",
    "required": [
        "article_id",
        "closed",
        "open",
        "mode",
        "effective_mode",
        "first_comment_at",
        "closes_at",
        "comment_count",
    ],
    "properties": {
        "article_id": {"type": "string"},
        "closed": {"type": "boolean", "description": "Closed by a moderator."},
        "open": {"type": "boolean", "description": "Accepting comments now."},
        "mode": {"enum": ["pre", "post", None]},
        "effective_mode": {"enum": ["pre", "post"]},
        "first_comment_at": ISO_OR_NULL,
        "closes_at": ISO_OR_NULL,
        "comment_count": {"type": "integer"},
    },
}
USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
}
SANCTIONED_USER = {
    "type": "object",
    "required": ["id", "name", "avatar_url", "status", "status_until", "status_reason"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "avatar_url": {"type": "string"},
        "status": {"enum": ["active", "banned", "suspended", "premoderated", "trusted"]},
        "status_until": ISO_OR_NULL,
        "status_reason": {"type": "string"},
    },
}

SCHEMAS: dict[str, Any] = {
    "Decision": {
        "type": "object",
        "required": ["action", "reason", "note", "moderator_id", "decided_at"],
        "properties": {
            "action": {"enum": list(ACTIONS)},
            "reason": {"type": "string"},
            "note": {"type": "string"},
            "moderator_id": {"type": "string"},
            "decided_at": ISO,
        },
    },
    "Lease": {
        "type": "object",
        "required": ["moderator_id", "until", "view"],
        "properties": {
            "moderator_id": {"type": "string"},
            "until": ISO,
            "view": {"type": "string"},
        },
    },
    "ModeratedComment": {
        "allOf": [
            ref("OwnComment"),
            {
                "type": "object",
                "required": ["hits", "report_count", "lease", "decision"],
                "properties": {
                    "hits": {"type": "array", "items": {"type": "object"}},
                    "report_count": {"type": "integer", "minimum": 0},
                    "lease": {"oneOf": [ref("Lease"), {"type": "null"}]},
                    "decision": {"oneOf": [ref("Decision"), {"type": "null"}]},
                },
            },
        ]
    },
    "DecisionState": {
        "type": "object",
        "required": ["id", "status", "decision"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["pending", "approved", "rejected", "withheld"]},
            "decision": {"oneOf": [ref("Decision"), {"type": "null"}]},
        },
    },
    "NewDecision": {
        "type": "object",
        "required": ["action", "reason"],
        "additionalProperties": False,
        "properties": {
            "action": {"enum": list(ACTIONS)},
            "reason": {
                "type": "string",
                "description": "A code of the standards-board policy (moderation.reason_codes).",
            },
            "note": {"type": "string", "maxLength": 1000},
        },
    },
    "Claims": {
        "type": "object",
        "required": ["view", "lease_seconds", "claims"],
        "properties": {
            "view": {"enum": list(VIEWS)},
            "lease_seconds": {"type": "number"},
            "claims": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["comment", "lease_until"],
                    "properties": {"comment": ref("ModeratedComment"), "lease_until": ISO},
                },
            },
        },
    },
    "LeaseResults": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "result", "lease_until"],
                    "properties": {
                        "id": {"type": "string"},
                        "result": {"enum": ["ok", "missing", "not_holder", "expired"]},
                        "lease_until": ISO_OR_NULL,
                    },
                },
            }
        },
    },
    "AuditEntry": {
        "type": "object",
        "required": ["id", "at", "action", "actor"],
        "properties": {
            "id": {"type": "string", "description": "Stream id; time-ordered."},
            "at": ISO,
            "action": {
                "type": "string",
                "description": "claim | extend | release | approve | reject | report | withhold "
                "| sanction actions (ban, suspend, premoderate, trust, lift)",
            },
            "actor": {"type": "string", "description": "m:<moderator id>, u:<user id>, system"},
            "comment_id": {"type": "string"},
            "article_id": {"type": "string"},
            "user_id": {"type": "string"},
            "reason": {"type": "string"},
            "note": {"type": "string"},
            "view": {"type": "string"},
            "until": ISO_OR_NULL,
            "wait_ms": {"type": "integer"},
        },
    },
    "Report": {
        "type": "object",
        "required": ["comment_id", "reason", "details", "reported_at"],
        "properties": {
            "comment_id": {"type": "string"},
            "reason": {"enum": list(REPORT_REASONS)},
            "details": {"type": "string"},
            "reported_at": ISO,
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/moderation/claims": {
        "post": {
            "summary": "Claim the oldest waiting comments of a view for the lease.",
            "description": "With article and/or rule, only waiting comments that match, oldest "
            "first; each shard's queue is read from its oldest entry, at most "
            "moderation.claim_scan_entries entries per claim.",
            "security": MODERATOR,
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["view"],
                    "additionalProperties": False,
                    "properties": {
                        "view": {"enum": list(VIEWS)},
                        "count": {"type": "integer", "minimum": 1, "default": 20},
                        "article": {
                            "type": "string",
                            "pattern": ARTICLE_ID_PATTERN.pattern,
                            "description": "Only this article's comments.",
                        },
                        "rule": {
                            "type": "string",
                            "pattern": RULE_ID.pattern,
                            "description": "Only comments this rule fired on (its id).",
                        },
                    },
                }
            ),
            "responses": {
                "200": ok("What this moderator now holds.", ref("Claims")),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/claims/extend": {
        "post": {
            "summary": "Extend this moderator's live leases by the lease time from now.",
            "security": MODERATOR,
            "requestBody": body(
                {"type": "object", "required": ["ids"], "properties": {"ids": IDS}}
            ),
            "responses": {
                "200": ok("Per comment.", ref("LeaseResults")),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/claims/release": {
        "post": {
            "summary": "Give claimed comments back to the queue at once.",
            "security": MODERATOR,
            "requestBody": body(
                {"type": "object", "required": ["ids"], "properties": {"ids": IDS}}
            ),
            "responses": {
                "200": ok("Per comment.", ref("LeaseResults")),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/comments/{comment_id}/decision": {
        "parameters": [COMMENT_ID],
        "post": {
            "summary": "Approve or reject, atomically and idempotently.",
            "description": "The same decision again answers the same result. A moderator may "
            "decide a comment another moderator holds only after that lease expired; an admin "
            "may at any time.",
            "security": MODERATOR,
            "requestBody": body(ref("NewDecision")),
            "responses": {
                "200": ok("The comment's state after the decision.", ref("DecisionState")),
                "404": error("No such comment."),
                "409": error(
                    "Decided otherwise already (already_decided) or held by another "
                    "moderator (claimed_by_other); details.current is the state."
                ),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/moderation/decisions": {
        "post": {
            "summary": "One decision over many comments; each applied atomically on its own.",
            "security": MODERATOR,
            # Spelled out: an allOf with NewDecision could never hold `ids`, since NewDecision
            # allows no other properties.
            "requestBody": body(
                {
                    **SCHEMAS["NewDecision"],
                    "required": ["ids", "action", "reason"],
                    "properties": {"ids": IDS, **SCHEMAS["NewDecision"]["properties"]},
                }
            ),
            "responses": {
                "200": ok(
                    "Per comment: outcome applied | same | conflict | claimed | missing.",
                    {
                        "type": "object",
                        "required": ["results"],
                        "properties": {
                            "results": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "outcome"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "outcome": {
                                            "enum": [
                                                "applied",
                                                "same",
                                                "conflict",
                                                "claimed",
                                                "missing",
                                            ]
                                        },
                                        "status": {"type": "string"},
                                        "decision": {"oneOf": [ref("Decision"), {"type": "null"}]},
                                    },
                                },
                            }
                        },
                    },
                ),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/queue": {
        "get": {
            "summary": "Queue depth per view (queued = waiting + claimed).",
            "security": MODERATOR,
            "responses": {
                "200": ok(
                    "Counts.",
                    {
                        "type": "object",
                        "required": ["views"],
                        "properties": {
                            "views": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "object",
                                    "required": ["queued", "in_claims"],
                                    "properties": {
                                        "queued": {"type": "integer"},
                                        "in_claims": {"type": "integer"},
                                    },
                                },
                            }
                        },
                    },
                ),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/queue/{view}": {
        "parameters": [
            {"name": "view", "in": "path", "required": True, "schema": {"enum": list(VIEWS)}}
        ],
        "get": {
            "summary": "The oldest comments of a view, without claiming them.",
            "security": MODERATOR,
            "parameters": [
                {
                    "name": "article",
                    "in": "query",
                    "description": "Only this article's comments (empty: all).",
                    "schema": {"type": "string", "pattern": f"^$|{ARTICLE_ID_PATTERN.pattern}"},
                },
                {
                    "name": "rule",
                    "in": "query",
                    "description": "Only comments this rule fired on (empty: all).",
                    "schema": {"type": "string", "pattern": f"^$|{RULE_ID.pattern}"},
                },
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}},
            ],
            "responses": {
                "200": ok(
                    "Oldest first.",
                    {
                        "type": "object",
                        "required": ["view", "comments"],
                        "properties": {
                            "view": {"type": "string"},
                            "comments": {"type": "array", "items": ref("ModeratedComment")},
                        },
                    },
                ),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/moderation/comments/{comment_id}": {
        "parameters": [COMMENT_ID],
        "get": {
            "summary": "A comment with its reports and audit history.",
            "security": MODERATOR,
            "responses": {
                "200": ok(
                    "The comment.",
                    {
                        "type": "object",
                        "required": ["comment", "reports", "history"],
                        "properties": {
                            "comment": ref("ModeratedComment"),
                            "reports": {"type": "array", "items": {"type": "object"}},
                            "history": {"type": "array", "items": ref("AuditEntry")},
                        },
                    },
                ),
                "404": error("No such comment."),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/comments/{comment_id}/reports": {
        "parameters": [COMMENT_ID],
        "post": {
            "summary": "Report a published comment (once per reader).",
            "description": "A repeated report changes nothing and answers 200 with the first. "
            "The report that reaches moderation.report_threshold withholds the comment and "
            "queues it in the reported view.",
            "security": [{"session": []}, {"cookie": []}],
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["reason"],
                    "additionalProperties": False,
                    "properties": {
                        "reason": {"enum": list(REPORT_REASONS)},
                        "details": {"type": "string", "maxLength": MAX_DETAILS},
                    },
                }
            ),
            "responses": {
                "201": ok("Reported.", ref("Report")),
                "200": ok("Reported before; the first report.", ref("Report")),
                "404": error("No such published comment."),
                "415": error("The body is not application/json."),
                **AUTH_ERRORS,
                **COMMON_ERRORS,
            },
        },
    },
    "/api/v1/moderation/users/{user_id}/sanctions": {
        "parameters": [USER_ID],
        "post": {
            "summary": "Ban, suspend, pre-moderate, trust or lift; effective at once.",
            "security": MODERATOR,
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["action", "reason"],
                    "additionalProperties": False,
                    "properties": {
                        "action": {"enum": list(SANCTIONS)},
                        "reason": {"type": "string"},
                        "note": {"type": "string", "maxLength": 1000},
                        "duration_seconds": {
                            "type": "integer",
                            "minimum": 60,
                            "description": "Only and always for suspend.",
                        },
                        "reject_waiting": {
                            "type": "boolean",
                            "description": "Also reject the user's comments still waiting.",
                        },
                    },
                }
            ),
            "responses": {
                "200": ok(
                    "The user's status now, and the comments rejected with it.",
                    {
                        "type": "object",
                        "required": ["user", "rejected"],
                        "properties": {
                            "user": SANCTIONED_USER,
                            "rejected": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                ),
                "404": error("No such user."),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/moderation/users/{user_id}": {
        "parameters": [USER_ID],
        "get": {
            "summary": "A reader's history: comments, decisions on them, sanctions.",
            "security": MODERATOR,
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}}
            ],
            "responses": {
                "200": ok(
                    "Newest comments first; sanctions oldest first.",
                    {
                        "type": "object",
                        "required": ["user", "comments", "decisions", "sanctions"],
                        "properties": {
                            "user": SANCTIONED_USER,
                            "comments": {"type": "array", "items": ref("ModeratedComment")},
                            "decisions": {"type": "array", "items": {"type": "object"}},
                            "sanctions": {"type": "array", "items": ref("AuditEntry")},
                        },
                    },
                ),
                "404": error("No such user."),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/moderation/articles/{article_id}": {
        "parameters": [ARTICLE_ID],
        "get": {
            "summary": "Whether an article takes comments, and its moderation mode.",
            "security": MODERATOR,
            "responses": {"200": ok("The article.", ARTICLE_STATE), **MOD_ERRORS},
        },
        "post": {
            "summary": "Close or reopen comments; set the mode (site: back to the site's).",
            "security": MODERATOR,
            "requestBody": body(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "closed": {"type": "boolean"},
                        "mode": {"enum": ["pre", "post", "site"]},
                        "reason": {"type": "string"},
                        "note": {"type": "string", "maxLength": 1000},
                    },
                }
            ),
            "responses": {
                "200": ok("The article now.", ARTICLE_STATE),
                "415": error("The body is not application/json."),
                **MOD_ERRORS,
            },
        },
    },
    "/api/v1/moderation/audit": {
        "get": {
            "summary": "Audit entries about one comment, one user, or by one moderator.",
            "description": "Exactly one of comment, user, moderator. Oldest first from since.",
            "security": MODERATOR,
            "parameters": [
                {"name": "comment", "in": "query", "schema": {"type": "string"}},
                {"name": "user", "in": "query", "schema": {"type": "string"}},
                {"name": "moderator", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "since",
                    "in": "query",
                    "schema": {"type": "integer"},
                    "description": "Milliseconds since the epoch.",
                },
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
            ],
            "responses": {
                "200": ok(
                    "Entries.",
                    {
                        "type": "object",
                        "required": ["entries"],
                        "properties": {"entries": {"type": "array", "items": ref("AuditEntry")}},
                    },
                ),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/audit/export": {
        "get": {
            "summary": "The whole comment audit trail from since, as JSON lines (admins).",
            "security": MODERATOR,
            "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer"}}],
            "responses": {
                "200": {
                    "description": "One AuditEntry per line, oldest first.",
                    "content": {"application/x-ndjson": {"schema": ref("AuditEntry")}},
                },
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/stats": {
        "get": {
            "summary": "Queue depths, decisions per hour, median time to decision, share "
            "approved per rule.",
            "security": MODERATOR,
            "parameters": [
                {
                    "name": "window_hours",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "default": 24},
                }
            ],
            "responses": {
                "200": ok(
                    "Over the window.",
                    {
                        "type": "object",
                        "required": [
                            "window_hours",
                            "queues",
                            "decisions",
                            "decisions_per_hour",
                            "median_seconds_to_decision",
                            "approved_share_by_rule",
                        ],
                        "properties": {
                            "window_hours": {"type": "integer"},
                            "queues": {"type": "object"},
                            "decisions": {
                                "type": "object",
                                "properties": {
                                    "approve": {"type": "integer"},
                                    "reject": {"type": "integer"},
                                },
                            },
                            "decisions_per_hour": {"type": "number"},
                            "median_seconds_to_decision": {"type": ["number", "null"]},
                            "approved_share_by_rule": {"type": "object"},
                        },
                    },
                ),
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/events": {
        "get": {
            "summary": "Live queue changes as server-sent events.",
            "description": "Events: counts (per view, at once and whenever they change), "
            "queued (a new comment entered the pending or unmoderated view: comment_id, view, "
            "article_id, rule_ids — the rules that fired), claimed, extended, released, decided, "
            "withheld. Each data line is the event as JSON with its type; no event carries a "
            "comment's body. Authenticate with the Authorization header (a console uses "
            "fetch-based SSE).",
            "security": MODERATOR,
            "responses": {
                "200": {
                    "description": "An endless event stream.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                **MOD_ERRORS,
            },
        }
    },
    "/api/v1/moderation/rules": {
        "get": {
            "summary": "The standards-board policy in force (admins).",
            "security": MODERATOR,
            "responses": {
                "200": ok(
                    "The policy, where it comes from, and the replacements so far.",
                    {
                        "type": "object",
                        "required": ["version", "seq", "source", "text", "word_lists", "history"],
                        "properties": {
                            "version": {"type": "string"},
                            "seq": {"type": "integer"},
                            "source": {"enum": ["file", "api"]},
                            "text": {"type": "string"},
                            "word_lists": {"type": "array", "items": {"type": "string"}},
                            "updated_by": {"type": ["string", "null"]},
                            "updated_at": {"type": ["integer", "null"]},
                            "history": {"type": "array", "items": ref("AuditEntry")},
                        },
                    },
                ),
                **MOD_ERRORS,
            },
        },
        "put": {
            "summary": "Replace the policy (admins); every worker applies it within seconds.",
            "security": MODERATOR,
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["text"],
                    "additionalProperties": False,
                    "properties": {
                        "text": {"type": "string", "description": "The rules as TOML."},
                        "word_lists": {
                            "type": "object",
                            "description": "New contents for word lists the rules name "
                            "(wordlists/<name>.tsv or .txt); others stay as shipped.",
                            "additionalProperties": {"type": "string"},
                        },
                        "note": {"type": "string", "maxLength": 1000},
                    },
                }
            ),
            "responses": {
                "200": ok(
                    "Stored and applied here.",
                    {
                        "type": "object",
                        "required": ["version", "seq"],
                        "properties": {"version": {"type": "string"}, "seq": {"type": "integer"}},
                    },
                ),
                "415": error("The body is not application/json."),
                "422": error("The rule set is not valid: details.errors names each problem."),
                **MOD_ERRORS,
                "413": error(
                    "The body is larger than moderation.max_policy_bytes (this route's own "
                    "bound, in details.max_bytes)."
                ),
            },
        },
    },
}
