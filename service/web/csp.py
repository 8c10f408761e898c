"""Content-Security-Policy for the service's HTML pages: inline code only by nonce or hash."""

from __future__ import annotations

import base64
import hashlib
import secrets

from ..http.security import Origins
from ..settings import Settings


def sha256_source(text: str) -> str:
    """A CSP hash source for an inline <style> or <script> with exactly this text."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def framing_origins(settings: Settings) -> str:
    """Who may frame the pages an article may show: the service and the article sites."""
    origins = Origins(settings)
    return " ".join(["'self'", *sorted(origins.articles)])


def policy(**directives: str) -> str:
    """`default-src 'none'` plus the given directives (underscores become dashes)."""
    parts = {"default_src": "'none'", "base_uri": "'none'", "form_action": "'none'"}
    parts.update(directives)
    return "; ".join(f"{name.replace('_', '-')} {value}" for name, value in parts.items())
