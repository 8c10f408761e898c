"""`/demo` (development only): an article page in the newspaper's style with the comment box
below, embedded exactly as an article page embeds it, for trying everything with `make run`.

`?lang=ko` shows the Korean article (and with it the Korean widget)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from . import csp
from .assets import EMBED_PATH
from .pages import document, html_response

ARTICLE_ID = "demo-1"
STYLE = """
body { margin: 0; background: #fff; color: #1a1a1a; font: 18px/1.65 Georgia, "Nanum Myeongjo",
       "Apple SD Gothic Neo", serif; }
.masthead { border-bottom: 4px double #1a1a1a; text-align: center; padding: 1rem; }
.masthead b { font-size: 2.2rem; letter-spacing: .04em; }
.masthead nav { font: 14px/1.4 system-ui, sans-serif; margin-top: .3rem; }
.masthead a, .byline a { color: #0b4f9c; }
article, .comments { max-width: 44rem; margin: 0 auto; padding: 0 1rem; }
.kicker { font: 700 13px/1 system-ui, sans-serif; text-transform: uppercase; color: #8a1c1c;
          margin-top: 2rem; letter-spacing: .08em; }
h1 { font-size: 2.3rem; line-height: 1.15; margin: .5rem 0; }
.standfirst { font-size: 1.2rem; color: #333; margin: .5rem 0 1rem; }
.byline { font: 14px/1.4 system-ui, sans-serif; color: #4d4d4d; border-top: 1px solid #ccc;
          border-bottom: 1px solid #ccc; padding: .5rem 0; }
figure { margin: 1.5rem 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font: 14px/1.4 system-ui, sans-serif; color: #4d4d4d; margin-top: .4rem; }
.comments { margin-top: 2rem; margin-bottom: 4rem; }
"""
ILLUSTRATION = """<svg viewBox="0 0 640 300" role="img" aria-labelledby="photo-title">
<title id="photo-title">{title}</title>
<rect width="640" height="300" fill="#cfe0ee"/>
<rect y="190" width="640" height="110" fill="#6f8f5f"/>
<circle cx="520" cy="70" r="36" fill="#f4d35e"/>
<path d="M0 190 L120 110 L210 170 L330 80 L460 175 L560 120 L640 165 L640 190 Z" fill="#4a6741"/>
<rect x="250" y="150" width="140" height="70" fill="#f2efe6" stroke="#333" stroke-width="2"/>
<path d="M240 152 L320 110 L400 152 Z" fill="#8a1c1c"/>
<rect x="305" y="180" width="30" height="40" fill="#5a3e2b"/>
</svg>"""


@dataclass(frozen=True)
class Article:
    kicker: str
    headline: str
    standfirst: str
    byline: str
    photo: str
    caption: str
    body: tuple[str, ...]
    other: tuple[str, str]  # the other language's name and link


ARTICLES = {
    "en": Article(
        kicker="Local",
        headline="Village library reopens after a year of repairs",
        standfirst="Readers return to a building that almost closed for good.",
        byline="By Kim Min-ji, staff reporter · Published today",
        photo="The library on the hill above the village, drawn by our graphics desk.",
        caption="The reopened library on Tuesday. Illustration: Standards Desk graphics",
        body=(
            "The doors of the village library opened again on Tuesday morning, a year after a "
            "storm took part of its roof. Some forty readers were waiting outside.",
            "The repairs cost more than planned, and for a while the council considered selling "
            "the building. Neighbours raised the difference in six months.",
            "“We kept the reading room exactly as it was,” said the librarian. "
            "“Only the roof is new.”",
        ),
        other=("한국어", "?lang=ko"),
    ),
    "ko": Article(
        kicker="지역",
        headline="마을 도서관, 1년 보수 끝에 다시 문 열어",
        standfirst="문을 닫을 뻔했던 도서관에 독자들이 돌아왔다.",
        byline="김민지 기자 · 오늘 입력",
        photo="마을 위 언덕에 있는 도서관 그림",
        caption="화요일 다시 문을 연 도서관. 그림: 스탠더즈 데스크 그래픽팀",
        body=(
            "지난해 폭풍으로 지붕 일부가 무너졌던 마을 도서관이 화요일 아침 다시 문을 열었다. "
            "문 앞에는 주민 40여 명이 기다리고 있었다.",
            "보수 비용이 예상보다 커지자 군의회는 한때 건물 매각을 검토했다. "
            "이웃들이 여섯 달 동안 모자란 돈을 모았다.",
            "도서관 사서는 “열람실은 예전 모습 그대로 두었다. 새것은 지붕뿐”이라고 말했다.",
        ),
        other=("English", "?lang=en"),
    ),
}


def render(lang: str, nonce: str) -> str:
    a = ARTICLES[lang]
    paragraphs = "\n".join(f"<p>{p}</p>" for p in a.body)
    other, href = a.other
    body = f"""<header class="masthead"><b>The Daily Standard</b>
<nav><a href="{href}">{other}</a> · <a href="/policy">Standards Board Policy</a></nav></header>
<article>
<p class="kicker">{a.kicker}</p>
<h1>{a.headline}</h1>
<p class="standfirst">{a.standfirst}</p>
<p class="byline">{a.byline}</p>
<figure>{ILLUSTRATION.format(title=a.photo)}
<figcaption>{a.caption}</figcaption></figure>
{paragraphs}
</article>
<div class="comments">
<div data-standards-desk data-article-id="{ARTICLE_ID}"></div>
<script src="{EMBED_PATH}" async nonce="{nonce}"></script>
</div>"""
    return document(
        lang=lang,
        title=a.headline,
        head=f'<style nonce="{nonce}">{STYLE}</style>',
        body=body,
    )


async def demo_page(request: web.Request) -> web.Response:
    lang = "ko" if request.query.get("lang") == "ko" else "en"
    nonce = csp.new_nonce()
    policy = csp.policy(
        script_src=f"'nonce-{nonce}'",
        # 'self': the widget's style sheet, which the widget adds to the page.
        style_src=f"'self' 'nonce-{nonce}'",
        connect_src="'self'",
        img_src="'self'",
        frame_ancestors="'none'",
    )
    return html_response(render(lang, nonce), csp=policy, cache="no-store")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/demo", demo_page)
