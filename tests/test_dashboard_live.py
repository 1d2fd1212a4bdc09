"""The moderation desk's live count of waiting comments (server-sent events)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from feedback.dashboard.views import live
from tests.browser import chromium, open_page
from tests.dashboards import PASSWORD, Dashboard
from tests.support import READER, SITE, LiveServer, flush


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "CHECK_SECONDS", 0.1)


async def post_comment(server: LiveServer, body: str) -> None:
    response = await server.client.post(
        server.article_url("bai-1") + "/comments", json={"reader": READER, "body": body}
    )
    assert response.status_code == 202
    await flush(server.settings)


async def test_the_waiting_count_is_sent_again_whenever_it_changes(dashboard: Dashboard) -> None:
    await post_comment(dashboard.live, "Một")
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        async with client.stream("GET", f"/dashboard/sites/{SITE}/moderation/waiting") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.aiter_lines()
            assert await anext(lines) == "data: 1"
            await post_comment(dashboard.live, "Hai")
            assert [line async for line in _until_data(lines)] == ["data: 2"]


async def _until_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The next event's data line (a keep-alive or a blank line is skipped)."""
    async for line in lines:
        if line.startswith("data:"):
            yield line
            return


async def test_the_count_needs_a_session_and_a_readable_site(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        assert (await client.get(f"/dashboard/sites/{SITE}/moderation/waiting")).status_code == 303
        await dashboard.log_in(client, "editor@example.vn")
        assert (await client.get("/dashboard/sites/bao-khac/moderation/waiting")).status_code == 404


async def test_the_desk_shows_new_comments_waiting_without_a_reload(dashboard: Dashboard) -> None:
    await post_comment(dashboard.live, "Một")
    async with chromium() as browser:
        page = await open_page(browser, dashboard.live.url + f"/dashboard/sites/{SITE}/moderation")
        await page.get_by_label("E-mail").fill("editor@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        count = page.locator("[data-live-waiting]")
        await expect(count).to_have_text("1")
        await post_comment(dashboard.live, "Hai")
        await expect(count).to_have_text("2")
        await page.close()
