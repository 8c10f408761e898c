"""The login routes of the OpenAPI document (merged by `service.openapi.document()`)."""

from __future__ import annotations

from typing import Any

from ...openapi import COMMON_ERRORS, RETRY_AFTER, error, ok, ref

HTML = "text/html"
PROVIDER = {
    "name": "provider",
    "in": "path",
    "required": True,
    "description": "A provider listed by /auth/providers; any other name is a 404.",
    "schema": {"type": "string", "enum": ["x", "facebook", "dev"]},
}
RATE_LIMITED = {
    **error("Too many login requests from this client IP (oauth.rate_limit per window)."),
    "headers": RETRY_AFTER,
}
UNKNOWN_PROVIDER = error("No such provider, or it is not configured (code unknown_provider).")


def page(description: str) -> dict[str, Any]:
    return {
        "description": description + " The X-Login-Error header repeats the error code.",
        "content": {HTML: {"schema": {"type": "string"}}},
    }


def redirect(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    }


def form(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


def query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


SCHEMAS: dict[str, Any] = {
    "LoginProviders": {
        "type": "object",
        "required": ["providers"],
        "properties": {
            "providers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "label", "login_url"],
                    "properties": {
                        "name": {"type": "string"},
                        "label": {"type": "string"},
                        "login_url": {"type": "string"},
                    },
                },
            }
        },
    },
    "OAuthError": {
        "type": "object",
        "description": "RFC 6749 section 5.2, as OAuth clients expect from a provider.",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
}

_DEV = "Development only: mounted when oauth.dev.enabled is on and env is development. "

PATHS: dict[str, Any] = {
    "/auth/providers": {
        "get": {
            "summary": "The login providers this deployment offers (one button each).",
            "responses": {"200": ok("The providers.", ref("LoginProviders")), **COMMON_ERRORS},
        }
    },
    "/auth/{provider}/login": {
        "parameters": [PROVIDER],
        "get": {
            "summary": "Start a login: store a one-time transaction and go to the provider.",
            "description": "Sets a short-lived HttpOnly cookie that binds the login to this "
            "browser. Redirect mode returns to `return_to`; popup mode ends on a page that posts "
            "the session token to `window.opener` at `origin`.",
            "parameters": [
                query(
                    "return_to",
                    "An article URL on a configured article origin, or a path on the service; "
                    "anything else falls back to site.default_return_url.",
                    maxLength=2048,
                ),
                query("mode", "redirect (default) or popup.", enum=["redirect", "popup"]),
                query("origin", "Popup mode: the article page's origin; must be configured."),
            ],
            "responses": {
                "302": redirect("To the provider's authorization page."),
                "400": page("An unknown mode, or a popup origin that is not allowed."),
                "404": UNKNOWN_PROVIDER,
                "429": RATE_LIMITED,
                "503": COMMON_ERRORS["503"],
            },
        },
    },
    "/auth/{provider}/callback": {
        "parameters": [PROVIDER],
        "get": {
            "summary": "Finish a login: check the transaction, exchange the code, log in.",
            "description": "Only the provider sends readers here. On success the session is "
            "rotated and the session cookie set.",
            "parameters": [
                query("state", "Must equal the transaction's state."),
                query("code", "The authorization code."),
                query("error", "Set by the provider instead of code, e.g. access_denied."),
            ],
            "responses": {
                "200": page("Popup mode: the page that hands the token to the opener."),
                "302": redirect("Redirect mode: back to return_to, logged in."),
                "400": page(
                    "The transaction is missing, expired or used (login_expired), the state "
                    "does not match (state_mismatch), or another check failed."
                ),
                "403": page("The reader did not allow the login (access_denied)."),
                "404": UNKNOWN_PROVIDER,
                "429": RATE_LIMITED,
                "502": page(
                    "The provider refused the exchange, failed or answered nonsense "
                    "(provider_refused, provider_unavailable, provider_bad_answer, "
                    "provider_error)."
                ),
                "503": COMMON_ERRORS["503"],
                "504": page("The provider did not answer in time (provider_timeout)."),
            },
        },
    },
    "/dev-oauth/authorize": {
        "get": {
            "summary": "Development provider: the 'log in as …' form.",
            "description": _DEV + "Checks client_id, the exact redirect_uri and PKCE S256.",
            "parameters": [
                query("response_type", "code"),
                query("client_id", "oauth.dev.client_id"),
                query("redirect_uri", "The dev callback, exactly."),
                query("state", "Returned unchanged."),
                query("code_challenge", "PKCE challenge."),
                query("code_challenge_method", "S256"),
                query("scope", "oauth.dev.scope"),
            ],
            "responses": {
                "200": page("The form."),
                "400": page("The request is refused."),
            },
        },
        "post": {
            "summary": "Development provider: issue a code (or access_denied) and go back.",
            "description": _DEV,
            "requestBody": form(
                {
                    "type": "object",
                    "required": ["client_id", "redirect_uri", "state", "code_challenge"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 50},
                        "action": {"enum": ["allow", "deny"]},
                        "client_id": {"type": "string"},
                        "redirect_uri": {"type": "string"},
                        "state": {"type": "string"},
                        "code_challenge": {"type": "string"},
                        "scope": {"type": "string"},
                    },
                }
            ),
            "responses": {
                "302": redirect("To the callback with code and state, or error=access_denied."),
                "400": page("The request is refused, or no name was given."),
                "403": error("A cookie-authenticated post from another origin (csrf_failed)."),
            },
        },
    },
    "/dev-oauth/token": {
        "post": {
            "summary": "Development provider: exchange a code and its PKCE verifier.",
            "description": _DEV + "Codes are single-use and live 60 seconds.",
            "requestBody": form(
                {
                    "type": "object",
                    "required": ["grant_type", "client_id", "code", "redirect_uri"],
                    "properties": {
                        "grant_type": {"const": "authorization_code"},
                        "client_id": {"type": "string"},
                        "code": {"type": "string"},
                        "redirect_uri": {"type": "string"},
                        "code_verifier": {"type": "string", "minLength": 43, "maxLength": 128},
                    },
                }
            ),
            "responses": {
                "200": ok(
                    "An access token.",
                    {
                        "type": "object",
                        "required": ["access_token", "token_type", "expires_in"],
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"const": "Bearer"},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    },
                ),
                "400": ok("invalid_grant or unsupported_grant_type.", ref("OAuthError")),
                "401": ok("invalid_client.", ref("OAuthError")),
            },
        }
    },
    "/dev-oauth/userinfo": {
        "get": {
            "summary": "Development provider: the reader behind an access token.",
            "description": _DEV + "Send the token as 'Authorization: Bearer …'.",
            "responses": {
                "200": ok(
                    "The profile.",
                    {
                        "type": "object",
                        "required": ["sub", "name", "picture"],
                        "properties": {
                            "sub": {"type": "string"},
                            "name": {"type": "string"},
                            "picture": {"type": "string"},
                        },
                    },
                ),
                "401": ok("invalid_token.", ref("OAuthError")),
            },
        }
    },
}
