"""The widget's script and style sheet.

Article pages embed `/widget/v1/embed.js`, a URL that cannot change, so it is cached for an hour
and revalidated with its ETag. The same script is also served under its content hash, and the
style sheet only under its hash: those URLs never change content and are cached for a year.
`v1` in the path is the embedding contract; a change that breaks it gets `/widget/v2/`.

Both files are read and compressed once when the app is built; the script gets the style sheet's
URL and the comment length limit filled in, so the counter counts to the server's limit.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import hdrs, web

from ..appkeys import SETTINGS
from ..settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/widget/v1"
EMBED_PATH = f"{PREFIX}/embed.js"
DIGEST_PATTERN = "{digest:[0-9a-f]{12}}"
EMBED_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
HASHED_CACHE = "public, max-age=31536000, immutable"
JS_TYPE = "text/javascript"
CSS_TYPE = "text/css"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    digest: str

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Asset:
        digest = hashlib.sha256(body).hexdigest()[:12]
        # mtime=0: the same bytes on every process, so every process answers the same ETag.
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0), content_type, digest)


@dataclass(frozen=True)
class WidgetAssets:
    script: Asset
    style: Asset

    @property
    def script_path(self) -> str:
        return f"{PREFIX}/embed.{self.script.digest}.js"

    @property
    def style_path(self) -> str:
        return f"{PREFIX}/widget.{self.style.digest}.css"


ASSETS = web.AppKey("widget_assets", WidgetAssets)


def build_assets(settings: Settings) -> WidgetAssets:
    style = Asset.of((STATIC / "widget.css").read_bytes(), CSS_TYPE)
    source = (STATIC / "embed.js").read_text(encoding="utf-8")
    source = source.replace("__SD_CSS_PATH__", f"{PREFIX}/widget.{style.digest}.css").replace(
        "__SD_MAX_LENGTH__", str(settings.comments.max_length)
    )
    return WidgetAssets(Asset.of(source.encode("utf-8"), JS_TYPE), style)


def _serve(request: web.Request, asset: Asset, cache: str) -> web.Response:
    accepts_gzip = "gzip" in request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
    etag = f'"{asset.digest}{"-gz" if accepts_gzip else ""}"'
    headers = {
        hdrs.CACHE_CONTROL: cache,
        hdrs.ETAG: etag,
        hdrs.VARY: "Accept-Encoding",
        # Article pages that isolate themselves (COEP) may still load the widget.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in (tag.strip() for tag in request.headers.get(hdrs.IF_NONE_MATCH, "").split(",")):
        return web.Response(status=304, headers=headers)
    if accepts_gzip:
        headers[hdrs.CONTENT_ENCODING] = "gzip"
    return web.Response(
        body=asset.gzipped if accepts_gzip else asset.body,
        headers=headers,
        content_type=asset.content_type,
        charset="utf-8",
    )


def _hashed(request: web.Request, asset: Asset, path: str) -> web.Response:
    if request.match_info["digest"] != asset.digest:
        # An old page (or an old cached script) asks for a version that is gone: send it to
        # the current one rather than leave the widget without its code or style.
        raise web.HTTPFound(path, headers={hdrs.CACHE_CONTROL: "no-cache"})
    return _serve(request, asset, HASHED_CACHE)


async def embed_script(request: web.Request) -> web.Response:
    return _serve(request, request.app[ASSETS].script, EMBED_CACHE)


async def hashed_script(request: web.Request) -> web.Response:
    assets = request.app[ASSETS]
    return _hashed(request, assets.script, assets.script_path)


async def hashed_style(request: web.Request) -> web.Response:
    assets = request.app[ASSETS]
    return _hashed(request, assets.style, assets.style_path)


def setup_routes(app: web.Application) -> None:
    app[ASSETS] = build_assets(app[SETTINGS])
    app.router.add_get(EMBED_PATH, embed_script)
    app.router.add_get(f"{PREFIX}/embed.{DIGEST_PATTERN}.js", hashed_script)
    app.router.add_get(f"{PREFIX}/widget.{DIGEST_PATTERN}.css", hashed_style)
