"""`return_to` and the popup `origin`: only configured article origins and the service itself;
every trick falls back to the default page."""

from __future__ import annotations

import pytest

from service.auth.oauth.returnto import ReturnPolicy
from tests.auth.conftest import LoginKit
from tests.conftest import ARTICLE_ORIGIN

DEFAULT = "http://127.0.0.1:8080/"


@pytest.fixture
def policy(settings) -> ReturnPolicy:
    return ReturnPolicy(settings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://news.example/a/1", "https://news.example/a/1"),
        ("https://news.example/a/1?x=1&y=2#comments", "https://news.example/a/1?x=1&y=2#comments"),
        ("https://news.example", "https://news.example/"),
        ("HTTPS://NEWS.Example/Mixed/Case", "https://news.example/Mixed/Case"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("https://news.example/%EC%A0%95%EC%B9%98", "https://news.example/%EC%A0%95%EC%B9%98"),
        (
            "https://news.example/정치/기사",
            "https://news.example/%EC%A0%95%EC%B9%98/%EA%B8%B0%EC%82%AC",
        ),
        ("/demo/article?x=1", "http://127.0.0.1:8080/demo/article?x=1"),
        ("http://127.0.0.1:8080/demo", "http://127.0.0.1:8080/demo"),
    ],
)
def test_allowed_return_to(policy, raw, expected):
    assert policy.return_to(raw) == expected


ATTACKS = [
    # other hosts
    "https://evil.example/",
    "https://news.example.evil.example/",
    "https://evilnews.example/",
    "http://news.example/a",  # another scheme is another origin
    "https://news.example:8443/a",
    "https://news.example./a",
    # scheme-relative and backslashes
    "//evil.example",
    "///evil.example",
    "////evil.example/a",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "https:\\\\evil.example",
    "https://news.example\\@evil.example",
    "https:/evil.example",
    "https:evil.example",
    # scripts and other schemes
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://news.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://news.example/",
    # encoded tricks
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "%252F%252Fevil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example",
    "https://news.example%2eevil.example/",
    "https://news.example%40evil.example/",
    "https://evil.example%2Fnews.example/",
    "java%0ascript:alert(1)",
    # userinfo
    "https://news.example@evil.example/",
    "https://news.example:443@evil.example/",
    "https://user:pass@news.example/",
    "https://evil.example#@news.example/",
    "https://evil.example?@news.example/",
    "https://news.example%23@evil.example/",
    "https://news.example／@evil.example/",
    # whitespace, controls, header injection
    " https://evil.example",
    "\thttps://news.example/a",
    "/a\r\nSet-Cookie: sd_session=attacker",
    "/a\nLocation: https://evil.example",
    "https://news.example/a\x00",
    "/\u2028evil",
    # not a URL at all, or absurd
    "news.example/a",
    "evil.example",
    "",
    "/" + "a" * 5000,
    "https://[::1/",
]


@pytest.mark.parametrize("raw", ATTACKS)
def test_return_to_attacks_fall_back_to_the_default(policy, raw):
    assert policy.return_to(raw) == DEFAULT


def test_a_configured_default_page_is_used(settings):
    policy = ReturnPolicy(settings.replace(**{"site.default_return_url": "https://news.example/"}))
    assert policy.return_to("//evil.example") == "https://news.example/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://news.example", "https://news.example"),
        ("https://news.example/", "https://news.example"),
        ("HTTPS://News.Example", "https://news.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://news.example.evil.example", None),
        ("https://evil.example", None),
        ("https://news.example:444", None),
        ("http://news.example", None),
        ("https://news.example/path", None),
        ("https://news.example?x", None),
        ("https://user@news.example", None),
        ("null", None),
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_popup_origin_must_be_an_allowed_origin(policy, raw, expected):
    assert policy.popup_origin(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "//evil.example",
        "https://news.example@evil.example/",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "/a\r\nSet-Cookie: sd_session=attacker",
    ],
)
async def test_attacks_through_the_whole_login_land_on_the_default_page(x_kit: LoginKit, raw):
    resp = await x_kit.login(return_to=raw)
    assert resp.status == 302
    assert resp.headers["Location"] == DEFAULT
    assert all("attacker" not in h for h in resp.headers.getall("Set-Cookie"))


async def test_an_article_url_survives_the_whole_login(x_kit: LoginKit):
    resp = await x_kit.login(return_to=ARTICLE_ORIGIN + "/a/1?x=1#c")
    assert resp.headers["Location"] == ARTICLE_ORIGIN + "/a/1?x=1#c"
