"""Steps the browser tests share: log in through the popup, post, moderate through the API."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.web.conftest import Site

MODERATION = "/api/v1/moderation"
DEV_BUTTON = "Log in with Development login"


async def log_in(page: Page, name: str, button: str = DEV_BUTTON) -> None:
    """The popup mode of the login: the widget opens the popup, the reader logs in with the
    development provider, the popup hands the token back and closes."""
    async with page.expect_popup() as opened:
        await page.get_by_role("button", name=button).click()
    popup = await opened.value
    await popup.get_by_label("Log in as").fill(name)
    # The popup closes itself as soon as it has told the widget: listen before clicking.
    async with popup.expect_event("close"):
        await popup.get_by_role("button", name="Log in", exact=True).click()
    await expect(page.locator(".sd-me")).to_contain_text(name)


async def post(page: Page, body: str) -> None:
    await page.get_by_label("Your comment").fill(body)
    await page.get_by_role("button", name="Post comment").click()


async def moderate(site: Site, action: str = "approve", reason: str = "acceptable") -> list[str]:
    """A moderator claims everything pending and decides it; the ids decided."""
    auth = {"Authorization": f"Bearer {await site.moderator_token()}"}
    status, claimed = await site.api(
        "POST", f"{MODERATION}/claims", json={"view": "pending", "count": 50}, headers=auth
    )
    assert status == 200, claimed
    ids = [c["comment"]["id"] for c in claimed["claims"]]
    for comment_id in ids:
        status, decided = await site.api(
            "POST",
            f"{MODERATION}/comments/{comment_id}/decision",
            json={"action": action, "reason": reason},
            headers=auth,
        )
        assert status == 200, decided
    return ids


async def my_comments(site: Site, token: str) -> list[dict[str, Any]]:
    status, page = await site.api(
        "GET", "/api/v1/me/comments", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200, page
    return list(page["comments"])
