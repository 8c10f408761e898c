"""Validate a response against the OpenAPI document (used by tests of every package)."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from service.openapi import document

_DOC = document()
_REGISTRY = Registry().with_resource(
    "urn:openapi",
    Resource.from_contents({**_DOC, "$schema": "https://json-schema.org/draft/2020-12/schema"}),
)


def _path_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


_PATHS = [(_path_regex(t), t) for t in _DOC["paths"]]


def operation(method: str, path: str) -> dict[str, Any]:
    for regex, template in _PATHS:
        if regex.match(path):
            return _DOC["paths"][template][method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def assert_conforms(method: str, path: str, status: int, body: Any) -> None:
    """The status is documented for the operation and the body matches its schema."""
    responses = operation(method, path)["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, not documented"
    content = responses[str(status)].get("content")
    if content is None:
        return
    schema = content["application/json"]["schema"]
    pointer = {"$ref": "urn:openapi#" + schema["$ref"][1:]} if "$ref" in schema else schema
    validator = Draft202012Validator(_rewrite(pointer), registry=_REGISTRY)
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message}"


def _rewrite(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: ("urn:openapi#" + v[1:] if k == "$ref" and v.startswith("#") else _rewrite(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rewrite(v) for v in schema]
    return schema
