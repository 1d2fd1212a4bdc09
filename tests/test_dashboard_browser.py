"""The dashboard in real headless Chromium: an editor logs in, approves a comment, and the
reader's widget shows it; every page passes an axe-core scan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from feedback.archive import Archive
from feedback.models import Site
from feedback.services.accounts import LOCKOUT_FAILURES, Accounts
from feedback.settings import Settings
from tests.browser import chromium, host_site, open_page
from tests.dashboards import Dashboard
from tests.support import READER, SITE, LiveServer, flush, serve

AXE = Path(__file__).resolve().parent.parent / "widget" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "mật-khẩu-đủ-dài"


async def no_axe_violations(page: Page) -> None:
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => `${v.id} ${v.nodes.map(n => n.target)}`)"
    )
    assert violations == [], (page.url, violations)


@pytest.fixture
async def live_with_editor(settings: Settings) -> AsyncIterator[tuple[LiveServer, str]]:
    async with host_site() as host:
        async with await Archive.open(settings.database_path) as archive:
            await archive.sites.save(Site(SITE, (host.url,)))
            await Accounts(archive).add("lan@example.vn", PASSWORD, "editor", [SITE], "vi", "test")
        async with serve(settings) as live:
            widget = f'<feedback-widget site="{SITE}" article="bai-1"></feedback-widget>'
            yield live, host.page("article", widget, api=live.url)


async def test_an_editor_approves_a_comment_and_readers_see_it(live_with_editor: tuple[LiveServer, str]) -> None:
    live, article_page = live_with_editor
    await live.vote("bai-1", READER, 4)
    posted = await live.client.post(
        live.article_url("bai-1") + "/comments", json={"reader": READER, "body": "Bài viết <b>rất</b> hay"}
    )
    assert posted.status_code == 202
    await flush(live.settings)
    async with chromium() as browser:
        page = await open_page(browser, live.url + "/dashboard/sites/vnexpress/moderation", bypass_csp=True)
        # Before a login the page speaks the browser's language (English here), after it the user's.
        await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        await no_axe_violations(page)
        await page.get_by_label("E-mail").fill("lan@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("heading", name="Duyệt bình luận · vnexpress")).to_be_visible()
        await expect(page.get_by_text("Bài viết <b>rất</b> hay")).to_be_visible()
        await no_axe_violations(page)
        await page.get_by_role("checkbox", name=re.compile(r"^Chọn [0-9a-f]{20}$")).check()
        await page.get_by_role("button", name="Duyệt", exact=True).click()
        await expect(page.get_by_text("Đã xử lý 1 bình luận.")).to_be_visible()
        await page.get_by_role("link", name="Tổng quan").click()
        await expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
        await no_axe_violations(page)
        await page.get_by_role("link", name=SITE, exact=True).click()
        await expect(page.get_by_role("heading", name=f"Bài viết · {SITE}")).to_be_visible()
        await no_axe_violations(page)

        await flush(live.settings)  # the approved count reaches Redis with the next flush
        reader = await open_page(browser, article_page)
        await reader.get_by_text("Bình luận (1)").click()
        await expect(reader.locator("feedback-widget li p.body")).to_have_text("Bài viết <b>rất</b> hay")


async def test_every_page_passes_an_axe_scan(dashboard: Dashboard) -> None:
    async with chromium() as browser:
        page = await open_page(browser, dashboard.live.url + "/dashboard/login", bypass_csp=True)
        await page.get_by_label("E-mail").fill("admin@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        pages = (
            "users",
            "audit",
            f"sites/{SITE}/articles",
            f"sites/{SITE}/moderation",
            f"sites/{SITE}/settings",
            f"sites/{SITE}/suspects",
        )
        for path in (*pages, "sites/nowhere/articles"):
            await page.goto(f"{dashboard.live.url}/dashboard/{path}")
            await no_axe_violations(page)


async def test_a_reader_of_the_login_page_is_told_of_a_wrong_password_then_of_a_lockout_and_logs_out(
    dashboard: Dashboard,
) -> None:
    async with chromium() as browser:
        # The axe scan's script is added inline: the page's policy is bypassed for it.
        page = await open_page(browser, dashboard.live.url + "/dashboard/", bypass_csp=True)
        await expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # no session: sent to log in

        async def log_in(password: str) -> None:
            await page.get_by_label("E-mail").fill("editor@example.vn")
            await page.get_by_label("Password").fill(password)
            await page.get_by_role("button", name="Log in").click()

        await log_in("wrong-password")
        await expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
        await no_axe_violations(page)
        await log_in(PASSWORD)
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        await page.get_by_role("button", name="Log out").click()
        await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        await page.goto(dashboard.live.url + "/dashboard/")  # the session is dead
        await expect(page.get_by_role("heading", name="Log in")).to_be_visible()

        for _ in range(LOCKOUT_FAILURES):
            await log_in("wrong-password")
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        await log_in(PASSWORD)  # even the right one, for a while
        await expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")
        assert "/dashboard/login" in page.url
