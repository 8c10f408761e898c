"""Reading and validating request bodies at the edge, before the domain sees them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from ..errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType


@dataclass(frozen=True)
class Field:
    name: str
    type: type | tuple[type, ...]
    required: bool = True
    max_length: int | None = None  # for strings, in code points (a cheap bound; the domain
    # checks what a reader sees). A string field with a bound is free text (a note, report
    # details): control characters other than tab and newline are refused there too.
    choices: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}


async def read_json(
    request: web.Request, fields: tuple[Field, ...], *, max_bytes: int | None = None
) -> dict[str, Any]:
    """The body as a dict with exactly `fields`, or a 4xx naming what is wrong. The body is
    bounded by the app's client_max_size (server.max_body_bytes), or by `max_bytes` for a route
    that needs its own bound; 413 above it."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(content_type=request.content_type)
    if max_bytes is None:
        raw = await request.read()
    else:
        raw = await read_bounded(request, max_bytes)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"The body is not valid JSON: {exc.msg}.", code="invalid_json"
        ) from exc
    return validate(data, fields)


async def read_bounded(request: web.Request, max_bytes: int) -> bytes:
    """The body, read under `max_bytes` instead of the app-wide bound."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(max_bytes=max_bytes)
    try:
        return await request.clone(client_max_size=max_bytes).read()
    except web.HTTPRequestEntityTooLarge as exc:  # no or a false Content-Length
        raise PayloadTooLarge(max_bytes=max_bytes) from exc


def validate(data: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidRequest("The body must be a JSON object.")
    known = {f.name for f in fields}
    for name in data:
        if name not in known:
            raise InvalidRequest(f"Unknown field {name!r}.", field=name)
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            if f.required:
                raise InvalidRequest(f"The field {f.name!r} is required.", field=f.name)
            continue
        value = data[f.name]
        expected = f.type if isinstance(f.type, tuple) else (f.type,)
        if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in expected)
            raise InvalidRequest(f"The field {f.name!r} must be {wanted}.", field=f.name)
        if f.max_length is not None and isinstance(value, str | list) and len(value) > f.max_length:
            raise InvalidRequest(
                f"The field {f.name!r} is too long.", field=f.name, max_length=f.max_length
            )
        if f.max_length is not None and isinstance(value, str) and _CONTROLS.search(value):
            raise InvalidRequest(
                f"The field {f.name!r} may not contain control characters.", field=f.name
            )
        if f.choices is not None and value not in f.choices:
            raise InvalidRequest(
                f"The field {f.name!r} must be one of {', '.join(map(str, f.choices))}.",
                field=f.name,
                choices=list(f.choices),
            )
        if isinstance(value, int) and not isinstance(value, bool):
            if (f.minimum is not None and value < f.minimum) or (
                f.maximum is not None and value > f.maximum
            ):
                raise InvalidRequest(
                    f"The field {f.name!r} is out of range.",
                    field=f.name,
                    minimum=f.minimum,
                    maximum=f.maximum,
                )
        out[f.name] = value
    return out


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    response = web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise InvalidRequest(f"The parameter {name!r} must be a whole number.", field=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise InvalidRequest(
            f"The parameter {name!r} must be between {minimum} and {maximum}.",
            field=name,
            minimum=minimum,
            maximum=maximum,
        )
    return value
