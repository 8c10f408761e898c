"""CORS for the configured article origins, the Origin half of CSRF protection, and the
security headers every response carries; the request middleware applies them.

The other half of CSRF protection, the per-session token, is checked where the session is
resolved (`service.auth.web`), because only a cookie-authenticated request needs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import hdrs, web

from ..errors import CsrfFailed, Forbidden
from ..settings import Settings

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


# On every answer (set by the request middleware, `service.http.requests`, and by the two
# handlers that start streaming before they return: the audit export and the events stream).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# On JSON answers: nothing in them may run or be framed.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def add_security_headers(response: web.StreamResponse) -> None:
    """The headers every answer carries, unless the handler chose its own (pages set a
    stricter Referrer-Policy and their own Content-Security-Policy)."""
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    content_type = headers.get(hdrs.CONTENT_TYPE)
    if content_type is not None and content_type.startswith("application/json"):
        headers.setdefault("Content-Security-Policy", JSON_CSP)


class Cors:
    """CORS for the configured article origins and the Origin half of CSRF protection, as two
    steps of the request middleware: `check` before the handler, `decorate` after."""

    def __init__(self, settings: Settings) -> None:
        self.origins = Origins(settings)
        self.cookie_name = settings.sessions.cookie_name

    def check(self, request: web.Request, origin: str | None) -> web.Response | None:
        """The answer to a preflight, or None to go on to the handler. Raises for a preflight
        from an origin that is not allowed, and for a cookie-authenticated change from a page
        that is not allowed (a cookie rides along on cross-site requests)."""
        method = request.method
        if method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
            if not self.origins.allowed(origin):
                raise Forbidden("This origin may not call the API.", code="origin_not_allowed")
            return web.Response(status=204)
        if (
            method in UNSAFE_METHODS
            and hdrs.AUTHORIZATION not in request.headers
            and request.cookies.get(self.cookie_name)
            and not self.origins.allowed(request_origin(request))
        ):
            raise CsrfFailed(reason="origin")
        return None

    def decorate(self, response: web.StreamResponse, origin: str | None, preflight: bool) -> None:
        headers = response.headers
        if origin and self.origins.allowed(origin):
            headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
            headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = "Retry-After, X-Request-Id"
            if preflight:
                headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ALLOWED_METHODS
                headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ALLOWED_HEADERS
                headers[hdrs.ACCESS_CONTROL_MAX_AGE] = "600"
        headers.add(hdrs.VARY, "Origin")
