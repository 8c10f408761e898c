"""CORS for the configured article origins, the Origin half of CSRF protection, and security
headers on every response.

The other half of CSRF protection, the per-session token, is checked where the session is
resolved (`service.auth.web`), because only a cookie-authenticated request needs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from ..errors import CsrfFailed, Forbidden, ServiceError
from ..settings import Settings
from .errors import error_response

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-CSRF-Token, X-Request-Id"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}".lower()


class Origins:
    def __init__(self, settings: Settings) -> None:
        self.articles = frozenset(o.rstrip("/").lower() for o in settings.site.article_origins)
        self.service = (origin_of(settings.server.public_url) or "").rstrip("/")
        self.all = self.articles | {self.service}

    def allowed(self, origin: str | None) -> bool:
        return origin is not None and origin.rstrip("/").lower() in self.all


def request_origin(request: web.Request) -> str | None:
    origin = request.headers.get(hdrs.ORIGIN)
    if origin and origin != "null":
        return origin
    referer = request.headers.get(hdrs.REFERER)
    return origin_of(referer) if referer else None


def setup_security(app: web.Application, settings: Settings) -> None:
    origins = Origins(settings)

    @web.middleware
    async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        preflight = (
            request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
        )
        response: web.StreamResponse
        try:
            if preflight:
                if not origins.allowed(origin):
                    raise Forbidden("This origin may not call the API.", code="origin_not_allowed")
                response = web.Response(status=204)
            else:
                cookie_auth = request.cookies.get(settings.sessions.cookie_name) and (
                    hdrs.AUTHORIZATION not in request.headers
                )
                # A cookie rides along on cross-site requests; only allowed pages may use it.
                if request.method in UNSAFE_METHODS and cookie_auth:
                    if not origins.allowed(request_origin(request)):
                        raise CsrfFailed(reason="origin")
                response = await handler(request)
        except ServiceError as exc:
            response = error_response(exc)
        if origin and origins.allowed(origin):
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
            response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = "Retry-After, X-Request-Id"
            if preflight:
                response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ALLOWED_METHODS
                response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ALLOWED_HEADERS
                response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = "600"
        response.headers.add(hdrs.VARY, "Origin")
        return response

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.content_type == "application/json":
            headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )

    app.middlewares.append(cors_middleware)
    app.on_response_prepare.append(on_prepare)
