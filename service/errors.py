"""Domain exceptions. Each carries an HTTP status, a stable `code` and data for `details`.

Domain code raises these without knowing about HTTP; `service.http.errors` turns any of them
(and aiohttp's own HTTP errors) into the one JSON error shape:

    {"error": {"code": "comment_too_long", "message": "...", "details": {...}}}
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "The request could not be handled."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        if code is not None:
            self.code = code  # type: ignore[misc]
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class InvalidRequest(BadRequest):
    """The body or a parameter does not match the schema; `details.field` names it."""

    code = "invalid_request"
    default_message = "The request is not valid."


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"
    default_message = "Log in to do this."


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"
    default_message = "You may not do this."


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = "The request did not come from an allowed page."


class NotFound(ServiceError):
    status = 404
    code = "not_found"
    default_message = "Nothing is here."


class MethodNotAllowed(ServiceError):
    status = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed here."


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Send the body as application/json."


class Unprocessable(ServiceError):
    status = 422
    code = "unprocessable"


class CommentTooLong(Unprocessable):
    code = "comment_too_long"


class CommentTooShort(Unprocessable):
    code = "comment_too_short"


class CommentInvalid(Unprocessable):
    code = "comment_invalid"


class CommentRejected(Unprocessable):
    """The standards-board rules refused the comment; `details.reasons` says why."""

    code = "comment_rejected"
    default_message = "The comment breaks the standards board's rules."


class RetryLater(ServiceError):
    """An error that tells the client when to try again (the Retry-After header)."""

    def __init__(self, message: str | None = None, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))}, **details)


class RateLimited(RetryLater):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."


class ServiceUnavailable(RetryLater):
    status = 503
    code = "service_unavailable"
    default_message = "The service is briefly unavailable; try again shortly."


class InternalError(ServiceError):
    status = 500
    code = "internal_error"
    default_message = "Something went wrong on our side; it has been logged."
