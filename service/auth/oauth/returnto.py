"""Where a login may send the reader afterwards, and which pages may receive a popup's token.

`return_to` is attacker-controlled (anyone can link to the login URL), so it is accepted only as
an absolute http(s) URL on a configured article origin or as a path on the service itself, and is
rebuilt from its parsed parts. Anything doubtful (other hosts, scheme-relative `//evil`,
backslashes, `javascript:`, userinfo `@`, control characters that could split a header, encoded
variants of these) falls back to `site.default_return_url`.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urljoin, urlsplit

from ...settings import Settings

MAX_RETURN_TO = 2048
# Characters kept as they are when the path, query and fragment are re-quoted: the reserved set
# and '%', so an already-encoded URL is left alone and only raw non-ASCII gets encoded.
_KEEP = "/?#[]@!$&'()*+,;=:%~-._"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def normal_origin(url: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port, or None if not http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class ReturnPolicy:
    def __init__(self, settings: Settings) -> None:
        self.service = normal_origin(settings.server.public_url) or ""
        self.articles = frozenset(
            o for o in map(normal_origin, settings.site.article_origins) if o is not None
        )
        self.default = urljoin(self.service + "/", settings.site.default_return_url)

    def return_to(self, raw: str | None) -> str:
        """A safe place to send the reader: an allowed origin's URL, rebuilt, or the default."""
        if raw is None or not _plain(raw) or _hides_authority(raw):
            return self.default
        try:
            parts = urlsplit(raw)
        except ValueError:
            return self.default
        tail = quote(parts.path or "/", safe=_KEEP)
        if parts.query:
            tail += "?" + quote(parts.query, safe=_KEEP)
        if parts.fragment:
            tail += "#" + quote(parts.fragment, safe=_KEEP)
        if not parts.scheme and not parts.netloc:
            return self.service + tail if raw.startswith("/") else self.default
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
            return self.default
        if not parts.netloc.isascii() or "@" in parts.netloc or "%" in parts.netloc:
            return self.default
        origin = normal_origin(raw)
        if origin is None or (origin not in self.articles and origin != self.service):
            return self.default
        return origin + tail

    def popup_origin(self, raw: str | None) -> str | None:
        """The allowed origin, normalised, or None: a popup's token is posted only there."""
        if not raw or not _plain(raw) or len(raw) > 300:
            return None
        origin = normal_origin(raw)
        if origin is None:
            return None
        parts = urlsplit(raw)
        if parts.path not in ("", "/") or parts.query or parts.fragment or "%" in parts.netloc:
            return None
        return origin if origin in self.articles or origin == self.service else None


def _hides_authority(raw: str) -> bool:
    """True if decoding (as a proxy or a lenient browser might) turns the start into `//host`
    or `\\host`; browsers also drop tabs and newlines anywhere and leading controls."""
    decoded = raw
    for _ in range(3):
        decoded = unquote(decoded)
        squeezed = "".join(ch for ch in decoded if ch not in "\t\r\n").lstrip(_C0_AND_SPACE)
        if squeezed.startswith(("//", "\\", "/\\", "\\/")):
            return True
    return False


def _plain(value: str) -> bool:
    """Printable, no whitespace and no backslash: what browsers strip or reinterpret."""
    return (
        0 < len(value) <= MAX_RETURN_TO
        and "\\" not in value
        and not any(ch.isspace() or not ch.isprintable() for ch in value)
    )
