"""The two small HTML pages a login can end on: the popup page that hands the session token to
the article page that opened it, and the error page.

Both carry one fixed script and one fixed style, allowed by their hashes in a strict
Content-Security-Policy; the values a page needs travel in a JSON data block whose `<`, `>` and
`&` are escaped, so no value can end the block or start markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

import orjson
from aiohttp import web

MESSAGE_TYPE = "standards-desk:login"
ERROR_MESSAGE_TYPE = "standards-desk:login-error"

_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("sd-data").textContent);
  if (data.origin && window.opener) {
    window.opener.postMessage(data.message, data.origin);
  }
  var button = document.getElementById("sd-close");
  if (button) {
    button.addEventListener("click", function () { window.close(); });
  }
  if (data.close) {
    window.close();
  }
})();
"""
_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem;
       color: #1a1a1a; }
h1 { font-size: 1.4rem; }
.code { color: #666; font-size: 0.85rem; }
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {_hash(_SCRIPT)}; style-src {_hash(_STYLE)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def json_for_html(data: Any) -> str:
    """JSON that is safe inside a <script> element."""
    return (
        orjson.dumps(data)
        .decode()
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _page(status: int, title: str, body: str, data: dict[str, Any]) -> web.Response:
    text = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n"
        f'<script type="application/json" id="sd-data">{json_for_html(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
    response = web.Response(status=status, text=text, content_type="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # The popup page holds a session token and the callback URL a code: keep both out of
    # caches and out of Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def popup_page(origin: str, token: str, user: dict[str, Any], site_name: str) -> web.Response:
    """Posts the session token to the opener, only if the opener is `origin`, and closes."""
    message = {"type": MESSAGE_TYPE, "token": token, "user": user}
    body = (
        "<h1>You are logged in</h1>\n"
        f"<p>You can go back to {html.escape(site_name)}; this window closes by itself.</p>\n"
        '<p><button id="sd-close" type="button">Close this window</button></p>'
    )
    return _page(200, "Logged in", body, {"origin": origin, "message": message, "close": True})


def error_page(
    status: int,
    code: str,
    message: str,
    *,
    back_url: str | None,
    popup_origin: str = "",
) -> web.Response:
    """A login that cannot finish: says why, links back, and in a popup tells the opener."""
    if popup_origin:
        link = '<p><button id="sd-close" type="button">Close this window</button></p>'
    elif back_url:
        link = f'<p><a href="{html.escape(back_url)}">Go back to where you were</a></p>'
    else:
        link = ""
    body = (
        "<h1>Login did not work</h1>\n"
        f"<p>{html.escape(message)}</p>\n{link}\n"
        f'<p class="code">Error code: <span id="sd-error">{html.escape(code)}</span></p>'
    )
    data = {
        "origin": popup_origin,
        "message": {"type": ERROR_MESSAGE_TYPE, "code": code},
        "close": False,
    }
    response = _page(status, "Login did not work", body, data)
    response.headers["X-Login-Error"] = code
    return response
