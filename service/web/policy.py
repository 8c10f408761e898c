"""`/policy`: the active standards-board rules as a reader would want to read them, in English
and Korean, with the reason codes moderators cite. No script; the style is allowed by its hash."""

from __future__ import annotations

import html

from aiohttp import web

from ..appkeys import RULES, SETTINGS
from . import csp
from .pages import document, html_response

ACTIONS = {
    "reject": ("Not published", "게시하지 않음"),
    "hold": ("Held for a moderator", "검토 후 게시"),
    "flag": ("Published, marked for the moderators", "게시 후 검토"),
}
# Labels for the reason codes shipped in config/default.toml; a code a newsroom adds is shown
# as it is written.
REASON_CODES = {
    "acceptable": ("Acceptable", "문제없음"),
    "off_topic": ("Off topic", "기사와 무관"),
    "incivility": ("Incivility", "무례한 표현"),
    "harassment": ("Harassment", "괴롭힘"),
    "hate_speech": ("Hate speech", "혐오 표현"),
    "spam": ("Spam or advertising", "스팸·광고"),
    "personal_info": ("Personal information", "개인정보 노출"),
    "misinformation": ("Misinformation", "허위 정보"),
    "legal_risk": ("Legal risk (defamation, contempt)", "법적 위험(명예훼손 등)"),
    "other": ("Other", "기타"),
}
STYLE = """
body { font: 17px/1.6 Georgia, "Nanum Myeongjo", serif; color: #1a1a1a; background: #fff;
       max-width: 54rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; border-bottom: 3px solid #1a1a1a; padding-bottom: .4rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font: 15px/1.5 system-ui, sans-serif; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #ccc;
         padding: .45rem .4rem; }
th { background: #f2f2f2; }
.id { font-family: ui-monospace, monospace; color: #4d4d4d; font-size: .85rem; }
p.note { color: #4d4d4d; font: 15px/1.5 system-ui, sans-serif; }
"""


def _cell(text: str, lang: str = "") -> str:
    attr = f' lang="{lang}"' if lang else ""
    return f"<td{attr}>{html.escape(text)}</td>"


def render(rules: list[dict[str, object]], reason_codes: list[str], site: str) -> str:
    rows = []
    for rule in rules:
        reason = rule["reason"]
        assert isinstance(reason, dict)
        en, ko = ACTIONS.get(str(rule["action"]), (str(rule["action"]),) * 2)
        rows.append(
            "<tr>"
            + _cell(str(reason.get("en", "")), "en")
            + _cell(str(reason.get("ko", "")), "ko")
            + f'<td>{html.escape(en)}<br><span lang="ko">{html.escape(ko)}</span></td>'
            + f'<td class="id">{html.escape(str(rule["id"]))}</td>'
            + "</tr>"
        )
    codes = []
    for code in reason_codes:
        en, ko = REASON_CODES.get(code, (code, code))
        codes.append(
            f'<tr><td class="id">{html.escape(code)}</td>{_cell(en, "en")}{_cell(ko, "ko")}</tr>'
        )
    body = f"""<main>
<h1>Standards Board Policy <span lang="ko">· 편집위원회 운영 원칙</span></h1>
<p>Every comment on {html.escape(site)} is checked against these rules before it is published.
A moderator reads every comment that waits for review.</p>
<p lang="ko">{html.escape(site)}의 모든 댓글은 게시 전에 아래 원칙에 따라 확인됩니다.
검토가 필요한 댓글은 검토자가 직접 읽습니다.</p>
<h2>Rules <span lang="ko">· 원칙</span></h2>
<table>
<thead><tr><th>Rule</th><th lang="ko">원칙</th><th>What happens <span lang="ko">· 처리</span></th>
<th>Id</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<h2>Moderators' reasons <span lang="ko">· 검토 사유</span></h2>
<p class="note">A moderator who approves or removes a comment records one of these reasons.</p>
<table>
<thead><tr><th>Code</th><th>Reason</th><th lang="ko">사유</th></tr></thead>
<tbody>
{chr(10).join(codes)}
</tbody>
</table>
</main>"""
    return document(
        lang="en",
        title="Standards Board Policy · 편집위원회 운영 원칙",
        head=f"<style>{STYLE}</style>",
        body=body,
    )


async def policy_page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    text = render(
        request.app[RULES].current.public_rules(),
        settings.moderation.reason_codes,
        settings.site.name,
    )
    policy = csp.policy(
        style_src=csp.sha256_source(STYLE),
        frame_ancestors=csp.framing_origins(settings),
    )
    return html_response(text, csp=policy, cache="public, max-age=300")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/policy", policy_page)
