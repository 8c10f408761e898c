"""The widget's files and the service's pages over HTTP: caching, size, CSP, the policy text."""

from __future__ import annotations

import gzip
import html
import re

from service.appkeys import RULES
from service.web.assets import STATIC

KB = 1024


async def test_the_widget_is_small(client):
    """One script and one style sheet, at most 15 kB gzipped together, as served."""
    script = await client.get("/widget/v1/embed.js", headers={"Accept-Encoding": "gzip"})
    css_path = re.search(r'"(/widget/v1/widget\.[0-9a-f]{12}\.css)"', await script.text())
    assert css_path, "the script names its style sheet"
    style = await client.get(css_path.group(1), headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == style.headers["Content-Encoding"] == "gzip"
    served = int(script.headers["Content-Length"]) + int(style.headers["Content-Length"])
    raw = sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.iterdir())
    assert served <= 15 * KB, f"{served} bytes gzipped"
    assert raw <= 15 * KB
    assert sorted(p.name for p in STATIC.iterdir()) == ["embed.js", "widget.css"]


async def test_embed_url_is_cached_an_hour_and_hashed_urls_a_year(client):
    plain = {"Accept-Encoding": "identity"}
    embed = await client.get("/widget/v1/embed.js", headers=plain)
    assert embed.status == 200
    assert embed.content_type == "text/javascript"
    assert "max-age=3600" in embed.headers["Cache-Control"]
    assert "Content-Encoding" not in embed.headers
    text = await embed.text()
    assert "__SD_" not in text  # placeholders filled in
    assert 'Number("250")' in text
    etag = embed.headers["ETag"]
    again = await client.get("/widget/v1/embed.js", headers={**plain, "If-None-Match": etag})
    assert again.status == 304

    digest = etag.strip('"')
    hashed = await client.get(f"/widget/v1/embed.{digest}.js", headers=plain)
    assert hashed.status == 200
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert await hashed.text() == text
    css = re.search(r"/widget/v1/widget\.[0-9a-f]{12}\.css", text)
    assert css
    style = await client.get(css.group())
    assert style.content_type == "text/css"
    assert style.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert style.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


async def test_an_old_digest_goes_to_the_current_file(client):
    old = await client.get("/widget/v1/widget.000000000000.css", allow_redirects=False)
    assert old.status == 302
    assert re.fullmatch(r"/widget/v1/widget\.[0-9a-f]{12}\.css", old.headers["Location"])
    assert (await client.get("/widget/v1/widget.nothex.css")).status == 404


async def test_the_widget_never_parses_html(client):
    source = (STATIC / "embed.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source
    # No third parties: the only origin the script talks to is the one it was loaded from.
    assert not re.search(r"https?://", source.split("*/", 1)[1])


async def test_policy_lists_every_active_rule_in_both_languages(client):
    resp = await client.get("/policy")
    assert resp.status == 200
    page = await resp.text()
    rules = client.server.app[RULES].current.public_rules()
    assert rules
    for rule in rules:
        for text in (rule["reason"]["en"], rule["reason"]["ko"]):
            assert html.escape(text) in page
    assert "harassment" in page and "괴롭힘" in page  # the reason codes
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "'sha256-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self' https://news.example" in csp
    assert "<script" not in page


async def test_demo_page_uses_a_nonce_for_its_script_and_style(client):
    resp = await client.get("/demo")
    assert resp.status == 200
    page = await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce
    assert f'<script src="/widget/v1/embed.js" async nonce="{nonce.group(1)}">' in page
    assert '<div data-standards-desk data-article-id="demo-1"></div>' in page
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["Cache-Control"] == "no-store"
    second = await client.get("/demo")
    assert second.headers["Content-Security-Policy"] != csp  # a new nonce every time
    korean = await (await client.get("/demo?lang=ko")).text()
    assert '<html lang="ko">' in korean


async def test_demo_is_development_only(make_client, settings):
    client = await make_client(settings.replace(**{"env": "production"}))
    assert (await client.get("/demo")).status == 404
    assert (await client.get("/policy")).status == 200
