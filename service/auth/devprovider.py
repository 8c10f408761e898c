"""A development OAuth 2.0 provider, so that login works on a laptop with no X or Facebook app.

Mounted only when `oauth.dev.enabled` is on and the environment is development (settings refuse
the switch in production, and `setup_routes` refuses it again). The service logs in through it
exactly as through X: the same Authlib client, over HTTP to `server.public_url`, with the same
state, PKCE and transaction checks. It checks what a real provider checks: the client id, the
exact redirect URI, single-use codes that expire, and the PKCE S256 verifier.

    GET  /dev-oauth/authorize   the "log in as …" form
    POST /dev-oauth/authorize   issue a code (or access_denied) and go back to the callback
    POST /dev-oauth/token       code + verifier -> access token
    GET  /dev-oauth/userinfo    {"sub", "name", "picture"}
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from ..appkeys import REDIS, SETTINGS
from ..settings import Settings, SettingsError
from .oauth.providers import callback_url, clean_name
from .oauth.returnto import normal_origin

CODE_TTL = 60
TOKEN_TTL = 600
_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }
input[type=text] { font: inherit; padding: 0.3rem; width: 100%; box-sizing: border-box; }
button { font: inherit; margin: 0.8rem 0.5rem 0 0; }
.note { color: #666; font-size: 0.9rem; }
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_PASSED_ON = ("client_id", "redirect_uri", "state", "code_challenge", "scope")


class InvalidAuthorizeRequest(Exception):
    pass


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


def _key(settings: Settings, kind: str, value: str) -> str:
    return f"{settings.redis.key_prefix}:devoauth:{kind}:{_digest(value)}"


def _check_authorize(settings: Settings, params: Mapping[str, str]) -> dict[str, str]:
    """What a real provider refuses before it ever redirects back."""
    if params.get("response_type") != "code":
        raise InvalidAuthorizeRequest("response_type must be code")
    if params.get("client_id") != settings.oauth.dev.client_id:
        raise InvalidAuthorizeRequest("unknown client_id")
    if params.get("redirect_uri") != callback_url(settings, "dev"):
        raise InvalidAuthorizeRequest("redirect_uri is not the registered one")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        raise InvalidAuthorizeRequest("PKCE with S256 is required")
    if not params.get("state"):
        raise InvalidAuthorizeRequest("state is required")
    return {name: str(params.get(name, "")) for name in _PASSED_ON}


def _page(settings: Settings, title: str, body: str, status: int = 200) -> web.Response:
    text = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    response = web.Response(status=status, text=text, content_type="text/html")
    service = normal_origin(settings.server.public_url) or ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self' {service}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: the login form posts back to this origin, and with
    # no-referrer Chromium sends "Origin: null", which the CSRF check (rightly) refuses when a
    # session cookie is already set. Nothing leaves the origin either way.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _form(settings: Settings, params: dict[str, str], problem: str = "") -> web.Response:
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in params.items()
    )
    note = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    body = f"""<h1>Development login</h1>
<p class="note">This stands in for X or Facebook on a developer's machine; it is never offered in
production. Anyone can be anyone here.</p>
{note}
<form method="post">
{hidden}
<label>Log in as <input type="text" name="name" required maxlength="50" autofocus
 placeholder="Kim Reader"></label>
<button type="submit" name="action" value="allow">Log in</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form>"""
    return _page(settings, "Development login", body, 400 if problem else 200)


def _refuse(settings: Settings, reason: str) -> web.Response:
    body = f"<h1>Development login</h1>\n<p>Refused: {html.escape(reason)}.</p>"
    return _page(settings, "Development login", body, 400)


def _back(redirect_uri: str, **params: str) -> web.Response:
    return web.Response(
        status=302,
        headers={"Location": f"{redirect_uri}?{urlencode(params)}", "Cache-Control": "no-store"},
    )


async def authorize_form(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        params = _check_authorize(settings, request.query)
    except InvalidAuthorizeRequest as exc:
        return _refuse(settings, str(exc))
    return _form(settings, params)


async def _read_form(request: web.Request) -> dict[str, str] | None:
    """The form's text fields, or None when the body cannot be read as a form (a multipart
    type without its boundary, say)."""
    try:
        form = await request.post()
    except ValueError:
        return None
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def authorize_submit(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    fields = await _read_form(request)
    if fields is None:
        return _refuse(settings, "the form could not be read")
    try:
        # The form carries what the first check accepted; the fixed values are not repeated.
        params = _check_authorize(
            settings, {**fields, "response_type": "code", "code_challenge_method": "S256"}
        )
    except InvalidAuthorizeRequest as exc:
        return _refuse(settings, str(exc))
    if fields.get("action") == "deny":
        return _back(params["redirect_uri"], error="access_denied", state=params["state"])
    name = clean_name(fields.get("name"))[:50]
    if not name:
        return _form(settings, params, "Type the name to log in as.")
    code = secrets.token_urlsafe(32)
    grant = {
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "challenge": params["code_challenge"],
        "name": name,
    }
    await request.app[REDIS].set(_key(settings, "code", code), orjson.dumps(grant), ex=CODE_TTL)
    return _back(params["redirect_uri"], code=code, state=params["state"])


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    """RFC 6749 section 5.2: the shape an OAuth client expects from a token endpoint."""
    return web.Response(
        status=status,
        body=orjson.dumps({"error": error, "error_description": description}),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def token(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    fields = await _read_form(request)
    if fields is None:
        return _oauth_error(400, "invalid_request", "the form could not be read")
    if fields.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type", "only authorization_code")
    if fields.get("client_id") != settings.oauth.dev.client_id:
        return _oauth_error(401, "invalid_client", "unknown client_id")
    code = fields.get("code", "")
    raw = await request.app[REDIS].getdel(_key(settings, "code", code)) if code else None
    if raw is None:
        return _oauth_error(400, "invalid_grant", "unknown, used or expired code")
    grant: dict[str, Any] = orjson.loads(raw)
    if grant["client_id"] != fields["client_id"]:
        return _oauth_error(400, "invalid_grant", "code issued to another client")
    if fields.get("redirect_uri") != grant["redirect_uri"]:
        return _oauth_error(400, "invalid_grant", "redirect_uri differs from the authorization")
    verifier = fields.get("code_verifier", "")
    if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(
        _s256(verifier), grant["challenge"]
    ):
        return _oauth_error(400, "invalid_grant", "PKCE verification failed")
    access_token = secrets.token_urlsafe(32)
    profile = {
        # The same name is the same reader, so that logging in again finds one's comments.
        "sub": "dev-" + _digest(grant["name"].casefold())[:16],
        "name": grant["name"],
        "picture": "",
    }
    await request.app[REDIS].set(
        _key(settings, "token", access_token), orjson.dumps(profile), ex=TOKEN_TTL
    )
    return web.Response(
        body=orjson.dumps(
            {
                "access_token": access_token,
                "token_type": "Bearer",  # OAuth's token type, not a secret  # nosec B105
                "expires_in": TOKEN_TTL,
                "scope": settings.oauth.dev.scope,
            }
        ),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def userinfo(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    raw = None
    if scheme.lower() == "bearer" and presented:
        raw = await request.app[REDIS].get(_key(settings, "token", presented))
    if raw is None:
        response = _oauth_error(401, "invalid_token", "unknown or expired access token")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return web.Response(body=raw, content_type="application/json")


def setup_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    if not settings.development:
        raise SettingsError(["oauth.dev.enabled: the development login is refused in production"])
    app.router.add_get("/dev-oauth/authorize", authorize_form)
    app.router.add_post("/dev-oauth/authorize", authorize_submit)
    app.router.add_post("/dev-oauth/token", token)
    app.router.add_get("/dev-oauth/userinfo", userinfo)
