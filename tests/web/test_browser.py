"""The widget in a real Chromium, embedded in an article page on another site."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, Request, expect

from service.comments.length import grapheme_count, normalise_body
from tests.web.conftest import SCREENSHOTS, Site, new_context
from tests.web.helpers import log_in, moderate, my_comments, post

pytestmark = pytest.mark.asyncio(loop_scope="session")

AWAITING = "Your comment is awaiting review"


def bearer_tokens(page: Page) -> list[str]:
    """Every bearer token the page sends to the service (to check what logout ended)."""
    seen: list[str] = []

    def record(request: Request) -> None:
        value = request.headers.get("authorization", "")
        if value.startswith("Bearer "):
            seen.append(value.removeprefix("Bearer "))

    page.on("request", record)
    return seen


async def test_logged_out_shows_the_login_buttons_of_the_offered_providers(page: Page, site: Site):
    await page.goto(site.article_url())
    await expect(page.get_by_text("To write comments, please log in")).to_be_visible()
    # Only providers with credentials are offered: here the development one.
    buttons = page.locator(".sd-login")
    await expect(buttons).to_have_count(1)
    await expect(buttons).to_have_text("Log in with Development login")
    await expect(page.get_by_label("Your comment")).to_have_count(0)
    await expect(page.locator(".sd-empty")).to_have_text("No comments yet. Be the first.")


async def test_log_in_through_the_popup_and_post_and_see_it_awaiting_review(page: Page, site: Site):
    tokens = bearer_tokens(page)
    await page.goto(site.article_url())
    await log_in(page, "Kim Reader")
    await expect(page.get_by_role("link", name="Standards Board Policy")).to_have_attribute(
        "href", f"{site.service}/policy"
    )
    await post(page, "첫 댓글입니다. A first comment.")
    await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    mine = page.locator(".sd-mine .sd-comment")
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".sd-body")).to_have_text("첫 댓글입니다. A first comment.")
    await expect(mine.locator(".sd-badge")).to_have_text("Awaiting review")
    # The token came by postMessage and travels as a bearer token, not as a cookie.
    assert tokens, "the widget sent no bearer token"
    [comment] = await my_comments(site, tokens[-1])
    assert comment["status"] == "pending"
    assert comment["article_id"] == "art-1"


COUNTED = [
    "안녕하세요, 반갑습니다",
    "\u1100\u1161\u11a8\u1102\u1161",  # 각나 written as decomposed jamo
    "👍🏽👍🏿 ok",
    "👨‍👩‍👧‍👦 and 👩🏽‍💻",
    "🇰🇷🇺🇸",
    "e\u0301te\u0301",
    "  line one\r\nline two\r\n  ",
    "\u00a0\u3000spaced\u3000",
]


async def test_the_counter_counts_as_the_server_does(page: Page, site: Site):
    await page.goto(site.article_url())
    await log_in(page, "Counter")
    box = page.get_by_label("Your comment")
    counter = page.locator(".sd-counter")
    await expect(counter).to_have_attribute("aria-live", "polite")
    for text in COUNTED:
        await box.fill(text)
        expected = grapheme_count(normalise_body(text))
        await expect(counter).to_have_text(f"{expected}/250")


async def test_over_the_limit_disables_submit(page: Page, site: Site):
    await page.goto(site.article_url())
    await log_in(page, "Long Writer")
    box = page.get_by_label("Your comment")
    submit = page.get_by_role("button", name="Post comment")
    await expect(submit).to_be_disabled()  # empty
    family = "👨‍👩‍👧‍👦"
    await box.fill(family * 250)
    await expect(page.locator(".sd-counter")).to_have_text("250/250")
    await expect(submit).to_be_enabled()
    await box.fill("가" * 251)
    await expect(page.locator(".sd-counter")).to_have_text("251/250")
    await expect(submit).to_be_disabled()
    await expect(box).to_have_attribute("aria-invalid", "true")


async def test_a_moderator_approves_and_the_comment_appears_on_reload(page: Page, site: Site):
    await page.goto(site.article_url())
    await log_in(page, "Park Writer")
    await post(page, "Approved soon, I hope.")
    await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    [comment_id] = await moderate(site)
    await page.reload()
    approved = page.locator(f".sd-list:not(.sd-mine) [data-comment-id='{comment_id}']")
    await expect(approved.locator(".sd-body")).to_have_text("Approved soon, I hope.")
    await expect(approved.locator(".sd-name")).to_have_text("Park Writer")
    await expect(approved.locator("time")).to_have_text("now")
    await expect(page.locator(".sd-title")).to_have_text("Comments (1)")


async def test_a_refused_comment_shows_its_reason_in_the_pages_language(page: Page, site: Site):
    reason = next(r["reason"] for r in site.public_rules() if r["id"] == "personal-info")
    await page.goto(site.article_url(lang="ko"))
    await log_in(page, "Lee Writer", button="Development login 계정으로 로그인")
    await page.get_by_label("댓글 입력").fill("제 번호는 010-1234-5678 입니다")
    await page.get_by_role("button", name="댓글 등록").click()
    status = page.get_by_role("status")
    await expect(status).to_contain_text("댓글이 등록되지 않았습니다")
    await expect(status).to_contain_text(reason["ko"])
    await expect(page.locator(".sd-mine .sd-comment")).to_have_count(0)


async def test_markup_in_comments_is_shown_as_text_and_runs_nothing(page: Page, site: Site):
    """The page fixture fails the test on any dialog or script error."""
    bodies = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script> hello"]
    await page.goto(site.article_url())
    await log_in(page, "<b>Mallory</b><img src=x onerror=alert(3)>")
    for body in bodies:
        await post(page, body)
        await expect(page.locator(".sd-mine .sd-body").first).to_have_text(body)
    await moderate(site)
    await page.reload()
    shown = page.locator(".sd-list:not(.sd-mine) .sd-body")
    await expect(shown).to_have_text(list(reversed(bodies)))
    await expect(page.locator(".sd img, .sd script, .sd b")).to_have_count(0)
    await expect(page.locator(".sd-list .sd-name").first).to_have_text(
        "<b>Mallory</b><img src=x onerror=alert(3)>"
    )


async def test_report_a_comment(page: Page, site: Site):
    await page.goto(site.article_url())
    await log_in(page, "Writer")
    await post(page, "Something to report")
    await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    [comment_id] = await moderate(site)
    await page.reload()
    # Another reader in the same browser. The development login's form answers with
    # Referrer-Policy: no-referrer, so Chromium posts it with `Origin: null`, and with the first
    # reader's cookie still set the service's CSRF check refuses the post: start cookie-free.
    await page.context.clear_cookies()
    await log_in(page, "Reporter")
    item = page.locator(f"[data-comment-id='{comment_id}']")
    await item.get_by_role("button", name="Report").click()
    await item.get_by_label("Spam or advertising").check()
    await item.get_by_role("button", name="Send report").click()
    await expect(item).to_contain_text("Thank you. The moderators will look at this comment.")
    await expect(item.get_by_role("button", name="Report")).to_be_disabled()
    token = await site.moderator_token()
    status, detail = await site.api(
        "GET",
        f"/api/v1/moderation/comments/{comment_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 200
    assert [r["reason"] for r in detail["reports"]] == ["spam"]


async def test_log_out_ends_the_session(page: Page, site: Site):
    tokens = bearer_tokens(page)
    await page.goto(site.article_url())
    await log_in(page, "Leaving Reader")
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_text("To write comments, please log in")).to_be_visible()
    assert tokens
    status, _ = await site.api("GET", "/auth/me", headers={"Authorization": f"Bearer {tokens[-1]}"})
    assert status == 401


async def test_more_pages_newest_first(page: Page, site: Site):
    await page.goto(site.article_url())
    await log_in(page, "Busy Writer")
    for i in range(12):
        await post(page, f"comment number {i}")
        await expect(page.locator(".sd-mine .sd-comment")).to_have_count(i + 1)
    await moderate(site)
    await page.reload()
    bodies = page.locator(".sd-list:not(.sd-mine) .sd-body")
    await expect(bodies).to_have_count(10)
    await expect(bodies.first).to_have_text("comment number 11")
    await page.get_by_role("button", name="More comments").click()
    await expect(bodies).to_have_count(12)
    await expect(bodies.last).to_have_text("comment number 0")
    await expect(page.get_by_role("button", name="More comments")).to_be_hidden()


async def test_a_retried_post_after_a_lost_answer_makes_one_comment(page: Page, site: Site):
    tokens = bearer_tokens(page)
    await page.goto(site.article_url())
    await log_in(page, "Retrier")
    lost = []

    async def lose_first_answer(route, request):
        if request.method == "POST" and not lost:
            await route.fetch()  # the server stores the comment...
            lost.append(request.headers["idempotency-key"])
            await route.abort()  # ...but the answer never arrives
        else:
            await route.continue_()

    await page.route("**/api/v1/articles/*/comments", lose_first_answer)
    await post(page, "Only once, please")
    await expect(page.get_by_role("status")).to_contain_text("could not be reached")
    await page.get_by_role("button", name="Post comment").click()
    await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    comments = await my_comments(site, tokens[-1])
    assert [c["body"] for c in comments] == ["Only once, please"]


async def test_third_party_cookies_blocked_still_works(cookieless_browser: Browser, site: Site):
    context = await new_context(cookieless_browser, site)
    try:
        page = await context.new_page()
        await page.goto(site.article_url())
        await log_in(page, "Private Reader")
        await post(page, "Posted without third-party cookies")
        await expect(page.get_by_role("status")).to_contain_text(AWAITING)
        # The service's cookie was set in the popup (first party) but never reaches the API
        # from the article's site: everything above went by the bearer token.
        cookies = await context.cookies(site.service)
        assert any(c["name"] == site.settings.sessions.cookie_name for c in cookies)
    finally:
        await context.close()
    assert not site.foreign_requests


async def test_demo_page_same_site_with_the_cookie_session(page: Page, site: Site):
    """On the service's own site the cookie session also works: after a reload the reader is
    still logged in, and changes carry the CSRF token from /auth/me."""
    await page.goto(f"{site.service}/demo")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Village library reopens after a year of repairs"
    )
    await log_in(page, "Choi Reader")
    for body in ("도서관이 다시 열려 정말 기쁩니다 📚", "Great news for the village."):
        await post(page, body)
        await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    await moderate(site)
    await page.reload()
    await expect(page.locator(".sd-me")).to_contain_text("Choi Reader")  # the cookie
    csrf_headers: list[str] = []
    page.on("request", lambda r: csrf_headers.append(r.headers.get("x-csrf-token", "")))
    await post(page, "Still waiting for the new reading lamps.")
    await expect(page.get_by_role("status")).to_contain_text(AWAITING)
    assert any(csrf_headers)
    await expect(page.locator(".sd-list:not(.sd-mine) .sd-comment")).to_have_count(2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "demo-logged-in.png", full_page=True)
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_text("To write comments, please log in")).to_be_visible()
    await page.reload()
    await expect(page.get_by_text("To write comments, please log in")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "demo-logged-out.png", full_page=True)
