"""The login routes: list the providers, start a login, finish it.

    GET /auth/providers
    GET /auth/{provider}/login?return_to=<URL>          (or ?mode=popup&origin=<article origin>)
    GET /auth/{provider}/callback?state=…&code=…        (or &error=…)

Browser flows end on a redirect, the popup page or an HTML error page, never a bare 500: a
provider that refuses, fails, times out or answers nonsense gets a page that says so.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from ... import metrics
from ...appkeys import (
    LOGIN_LIMIT,
    LOGIN_POLICY,
    LOGIN_PROVIDERS,
    LOGIN_TRANSACTIONS,
    REDIS,
    SESSIONS,
    SETTINGS,
    USERS,
)
from ...errors import NotFound
from ...http.body import json_response
from ...settings import Settings, SettingsError
from .. import devprovider
from ..handlers import set_session_cookie
from . import client
from .pages import error_page, popup_page
from .providers import Provider, callback_url, providers_from
from .ratelimit import LoginRateLimit
from .returnto import ReturnPolicy
from .transactions import LoginTransaction, LoginTransactions

log = logging.getLogger("service.auth.oauth")


def binding_cookie(settings: Settings) -> str:
    return f"{settings.sessions.cookie_name}_login"


def _provider(request: web.Request) -> Provider:
    name = request.match_info["provider"]
    provider = request.app[LOGIN_PROVIDERS].get(name)
    if provider is None:
        raise NotFound(f"No login provider {name!r} is offered here.", code="unknown_provider")
    return provider


async def list_providers(request: web.Request) -> web.Response:
    return json_response(
        {
            "providers": [
                {"name": p.name, "label": p.label, "login_url": f"/auth/{p.name}/login"}
                for p in request.app[LOGIN_PROVIDERS].offered()
            ]
        }
    )


async def login(request: web.Request) -> web.Response:
    await request.app[LOGIN_LIMIT].check(request)
    provider = _provider(request)
    settings = request.app[SETTINGS]
    policy = request.app[LOGIN_POLICY]
    mode = request.query.get("mode", "redirect")
    popup_origin = ""
    if mode == "popup":
        popup_origin = policy.popup_origin(request.query.get("origin")) or ""
        if not popup_origin:
            return error_page(
                400,
                "origin_not_allowed",
                "This page may not open a login window.",
                back_url=policy.default,
            )
        return_to = ""
    elif mode == "redirect":
        return_to = policy.return_to(request.query.get("return_to"))
    else:
        return error_page(
            400, "invalid_mode", "The login link is not valid.", back_url=policy.default
        )

    transaction = LoginTransaction.start(provider.name, return_to, popup_origin)
    binding = await request.app[LOGIN_TRANSACTIONS].begin(transaction)
    url = await client.authorization_url(
        provider,
        callback_url(settings, provider.name),
        transaction.state,
        transaction.code_verifier,
        settings.oauth.timeout,
    )
    response = web.Response(status=302, headers={"Location": url, "Cache-Control": "no-store"})
    response.headers["Referrer-Policy"] = "no-referrer"
    response.set_cookie(
        binding_cookie(settings),
        binding,
        max_age=settings.oauth.transaction_ttl,
        path=f"/auth/{provider.name}/callback",
        secure=settings.sessions.cookie_secure,
        httponly=True,
        # Lax, whatever the session cookie uses: the callback is a cross-site top-level GET.
        samesite="Lax",
    )
    return response


async def callback(request: web.Request) -> web.Response:
    await request.app[LOGIN_LIMIT].check(request)
    provider = _provider(request)
    settings = request.app[SETTINGS]
    policy = request.app[LOGIN_POLICY]
    transaction = await request.app[LOGIN_TRANSACTIONS].take(
        request.cookies.get(binding_cookie(settings))
    )

    def fail(status: int, code: str, message: str) -> web.Response:
        log.info("login failed", extra={"provider": provider.name, "code": code})
        metrics.login_finished(provider.name, code)
        response = error_page(
            status,
            code,
            message,
            back_url=(transaction.return_to if transaction else None) or policy.default,
            popup_origin=transaction.popup_origin if transaction else "",
        )
        _forget_binding(response, settings, provider.name)
        return response

    if transaction is None:
        return fail(
            400,
            "login_expired",
            "This login has expired or was already used, or was started in another browser. "
            "Please start again.",
        )
    if transaction.provider != provider.name:
        return fail(400, "provider_mismatch", "This login was started with another provider.")
    state = request.query.get("state", "")
    if not secrets.compare_digest(transaction.state.encode(), state.encode("utf-8", "replace")):
        return fail(400, "state_mismatch", "This login answer does not belong to your login.")
    # A refusal carries no code; look for it first.
    error = request.query.get("error")
    if error is not None:
        if error == "access_denied":
            return fail(403, "access_denied", f"You did not allow the login with {provider.label}.")
        return fail(502, "provider_error", f"{provider.label} could not log you in.")
    code = request.query.get("code")
    if not code:
        return fail(400, "missing_code", f"{provider.label} did not send a login code.")

    try:
        profile = await client.fetch_profile(
            provider,
            callback_url(settings, provider.name),
            code,
            transaction.code_verifier,
            settings.oauth.timeout,
        )
    except client.ProviderFailure as exc:
        if exc.kind == "timeout":
            return fail(504, "provider_timeout", f"{provider.label} took too long to answer.")
        return fail(502, f"provider_{exc.kind}", f"{provider.label} did not answer as expected.")

    user = await request.app[USERS].upsert(
        provider.name, profile.provider_user_id, profile.name, profile.avatar_url
    )
    token = await _rotate_session(request, user.id)
    metrics.login_finished(provider.name, "ok")
    if transaction.popup:
        response = popup_page(transaction.popup_origin, token, user.public(), settings.site.name)
    else:
        response = web.Response(
            status=302, headers={"Location": transaction.return_to, "Cache-Control": "no-store"}
        )
        response.headers["Referrer-Policy"] = "no-referrer"
    set_session_cookie(response, settings, token)
    _forget_binding(response, settings, provider.name)
    return response


async def _rotate_session(request: web.Request, user_id: str) -> str:
    """A new session for the reader; the session the browser had before is deleted, so a
    session id planted before login (fixation) is worthless after it."""
    sessions = request.app[SESSIONS]
    old = request.cookies.get(request.app[SETTINGS].sessions.cookie_name)
    if old:
        found = await sessions.load(old)
        if found is not None:
            await sessions.delete(found[0])
    token, _ = await sessions.create(user_id)
    return token


def _forget_binding(response: web.StreamResponse, settings: Settings, provider: str) -> None:
    response.del_cookie(
        binding_cookie(settings),
        path=f"/auth/{provider}/callback",
        secure=settings.sessions.cookie_secure,
        httponly=True,
        samesite="Lax",
    )


async def _login_ctx(app: web.Application) -> AsyncIterator[None]:
    """Runs after the foundation's redis_ctx, on the same client."""
    settings = app[SETTINGS]
    redis, prefix = app[REDIS], settings.redis.key_prefix
    app[LOGIN_TRANSACTIONS] = LoginTransactions(redis, prefix, settings.oauth.transaction_ttl)
    app[LOGIN_LIMIT] = LoginRateLimit(
        redis,
        prefix,
        settings.oauth.rate_limit,
        settings.oauth.rate_window,
    )
    yield


def setup_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.oauth.dev.enabled and not settings.development:
        raise SettingsError(["oauth.dev.enabled: the development login is refused in production"])
    app[LOGIN_PROVIDERS] = providers_from(settings)
    app[LOGIN_POLICY] = ReturnPolicy(settings)
    app.cleanup_ctx.append(_login_ctx)
    app.router.add_get("/auth/providers", list_providers)
    # No HEAD: a link checker must not start logins or burn a callback.
    app.router.add_get("/auth/{provider}/login", login, allow_head=False)
    app.router.add_get("/auth/{provider}/callback", callback, allow_head=False)
    if settings.oauth.dev.enabled:
        devprovider.setup_routes(app)
