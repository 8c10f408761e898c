"""The one place where exceptions become HTTP answers, all in the same JSON shape."""

from __future__ import annotations

import logging

import orjson
from aiohttp import web

from .. import metrics
from ..errors import (
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    ServiceUnavailable,
)
from ..settings import Settings
from ..store.client import UNAVAILABLE_ERRORS, torn_connection

log = logging.getLogger("service.http")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}


def error_response(error: ServiceError) -> web.Response:
    response = web.Response(
        body=orjson.dumps(error.to_dict()),
        status=error.status,
        content_type="application/json",
        headers=error.headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _from_http(exc: web.HTTPException, max_bytes: int) -> ServiceError:
    if isinstance(exc, web.HTTPNotFound):
        return NotFound()
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(allowed=sorted(exc.allowed_methods))
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLarge(max_bytes=max_bytes)
    error = ServiceError(exc.reason, code=_HTTP_CODES.get(exc.status, f"http_{exc.status}"))
    error.status = exc.status  # type: ignore[misc]
    return error


CLIENT_CLOSED_REQUEST = 499  # not HTTP's; logs and metrics only, no client sees it


class ErrorAnswers:
    """Exceptions become answers here, all in the same JSON shape (the request middleware,
    `service.http.requests`, asks for one whenever a handler raises)."""

    def __init__(self, settings: Settings) -> None:
        self.retry_after = settings.redis.retry_after
        self.max_body_bytes = settings.server.max_body_bytes

    def answer(self, request: web.Request, exc: Exception) -> web.StreamResponse:
        """The answer to an error a handler raised (not to a redirect, which aiohttp sends).
        Call it inside the `except` block that caught `exc`, so that an unexpected error is
        logged with its traceback."""
        if isinstance(exc, ServiceError):
            return error_response(exc)
        if isinstance(exc, web.HTTPException):
            return error_response(_from_http(exc, self.max_body_bytes))
        if isinstance(exc, UNAVAILABLE_ERRORS):
            log.warning(
                "redis unavailable", extra={"error": type(exc).__name__, "detail": str(exc)[:200]}
            )
            metrics.redis_error(type(exc).__name__)
            return error_response(ServiceUnavailable(retry_after=self.retry_after))
        if isinstance(exc, ConnectionResetError):
            transport = request.transport
            if transport is not None and not transport.is_closing():
                log.exception("unhandled error")
                return error_response(InternalError())
            # The client went away mid-request (typically while sending its body): nobody is
            # left to answer. Logged and counted as 499, the usual "client closed request".
            log.info("client closed the connection before the answer")
            return web.Response(status=CLIENT_CLOSED_REQUEST, reason="Client Closed Request")
        if torn_connection(exc):
            log.warning("redis connection torn down mid-command", extra={"error": repr(exc)})
            metrics.redis_error("TornConnection")
            return error_response(ServiceUnavailable(retry_after=self.retry_after))
        log.exception("unhandled error")
        return error_response(InternalError())
