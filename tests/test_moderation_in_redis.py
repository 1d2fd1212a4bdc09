"""Comments still waiting in Redis (not flushed yet) on the moderation desk: listed, counted as
waiting, and decided on — the decision shows at once and the flush stores the comment as
decided; from the dashboard and from the command line."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from feedback.archive import Archive
from feedback.models import Comment
from feedback.settings import Settings
from tests.browser import chromium, open_page
from tests.dashboards import OTHER_SITE, PASSWORD, Dashboard, csrf_of
from tests.support import READER, SITE, LiveServer, flush
from tests.test_cli import feedback


async def post_unflushed(live: LiveServer, body: str, site: str = SITE) -> str:
    response = await live.client.post(
        live.article_url("bai-1", site) + "/comments", json={"reader": READER, "body": body}
    )
    assert response.status_code == 202, response.text
    comment_id: str = response.json()["id"]
    return comment_id


async def stored_statuses(dashboard: Dashboard, site: str = SITE) -> dict[str, str]:
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        return {c.id: c.status for c in await archive.comments.for_editors(site, None, None, None, 100)}


async def public_ids(live: LiveServer) -> list[str]:
    page = await live.client.get(live.article_url("bai-1") + "/comments")
    return [comment["id"] for comment in page.json()["comments"]]


async def moderate(dashboard: Dashboard, email: str, action: str, *ids: str, site: str = SITE) -> int:
    async with dashboard.client() as client:
        await dashboard.log_in(client, email)
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
        form = {"csrf_token": csrf_of(desk.text), "action": action, "comment": list(ids)}
        response = await client.post(f"/dashboard/sites/{site}/moderation", data=form)
    return response.status_code


async def test_a_comment_still_in_redis_is_on_the_desk_and_counted_as_waiting(dashboard: Dashboard) -> None:
    await post_unflushed(dashboard.live, "Vẫn còn trong Redis")
    await post_unflushed(dashboard.live, "Của trang khác", site=OTHER_SITE)
    assert await stored_statuses(dashboard) == {}
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
        async with client.stream("GET", f"/dashboard/sites/{SITE}/moderation/waiting") as events:
            first = await anext(events.aiter_lines())
    assert "Vẫn còn trong Redis" in desk.text and "Của trang khác" not in desk.text
    assert re.search(r"data-live-waiting[^>]*>1<", desk.text)
    assert first == "data: 1"


async def test_approving_a_comment_still_in_redis_shows_it_at_once_and_the_flush_keeps_it(
    dashboard: Dashboard,
) -> None:
    live = dashboard.live
    comment_id = await post_unflushed(live, "Duyệt trước khi lưu")
    assert await public_ids(live) == []
    assert await moderate(dashboard, "editor@example.vn", "approve", comment_id) == 303
    assert await public_ids(live) == [comment_id]  # before any flush
    assert await stored_statuses(dashboard) == {}
    await flush(live.settings)
    assert await stored_statuses(dashboard) == {comment_id: "approved"}
    assert await public_ids(live) == [comment_id]
    assert (await live.summary("bai-1"))["comments"] == 1  # Redis's count recounted by the flush


async def test_a_comment_deleted_while_in_redis_never_reaches_sqlite(dashboard: Dashboard) -> None:
    live = dashboard.live
    kept = await post_unflushed(live, "Ở lại")
    deleted = await post_unflushed(live, "Bị xoá")
    assert await moderate(dashboard, "admin@example.vn", "delete", deleted) == 303
    async with dashboard.client() as client:
        await dashboard.log_in(client, "admin@example.vn")
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
    assert "Ở lại" in desk.text and "Bị xoá" not in desk.text
    await flush(live.settings)
    assert await stored_statuses(dashboard) == {kept: "pending"}


async def test_limits_hold_for_comments_still_in_redis(dashboard: Dashboard) -> None:
    live = dashboard.live
    mine = await post_unflushed(live, "Của trang mình")
    other = await post_unflushed(live, "Của trang khác", site=OTHER_SITE)
    assert await moderate(dashboard, "viewer@example.vn", "approve", mine) == 403
    # An editor of SITE names another site's comment on SITE's desk: nothing happens to it.
    assert await moderate(dashboard, "editor@example.vn", "approve", other) == 303
    await flush(live.settings)
    assert await stored_statuses(dashboard) == {mine: "pending"}
    assert await stored_statuses(dashboard, OTHER_SITE) == {other: "pending"}


async def test_the_command_line_lists_and_decides_on_comments_still_in_redis(dashboard: Dashboard) -> None:
    live = dashboard.live
    comment_id = await post_unflushed(live, "Từ dòng lệnh")
    listing = feedback(live.settings, "comments", "list", SITE, "--status", "pending")
    assert listing.stdout.split("\t")[0] == comment_id
    assert feedback(live.settings, "comments", "spam", comment_id).stdout == "spam: 1 comment\n"
    await flush(live.settings)
    assert await stored_statuses(dashboard) == {comment_id: "spam"}


async def test_the_desk_works_from_the_keyboard_and_readers_see_the_approval_at_once(
    dashboard: Dashboard, tmp_path: Path
) -> None:
    live = dashboard.live
    first, second, third = [await post_unflushed(live, f"Ý kiến số {n}") for n in (1, 2, 3)]
    async with chromium() as browser:
        page = await open_page(browser, live.url + f"/dashboard/login?next=/dashboard/sites/{SITE}/moderation")
        await page.get_by_label("E-mail").fill("editor@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_text("Ý kiến số 3")).to_be_visible()
        await page.wait_for_load_state()  # desk.js (deferred) listens to the keys from then on
        await page.keyboard.press("j")  # the newest comment
        await expect(page.get_by_role("checkbox", name=f"Select {third}")).to_be_focused()
        await page.screenshot(path=str(tmp_path / "desk.png"), full_page=True)
        await page.keyboard.press("a")
        await expect(page.get_by_text("Comments done: 1.")).to_be_visible()
        await page.wait_for_load_state()
        await page.keyboard.press("j")
        await page.keyboard.press("x")
        await page.keyboard.press("j")
        await page.keyboard.press("x")
        await page.keyboard.press("r")
        await expect(page.get_by_text("Comments done: 2.")).to_be_visible()
        await expect(page.get_by_text("No comments.")).to_be_visible()
        assert await public_ids(live) == [third]  # approved while still in Redis: public at once
    await flush(live.settings)
    assert await stored_statuses(dashboard) == {first: "rejected", second: "rejected", third: "approved"}


async def test_thousands_of_comments_waiting_in_redis_are_matched_at_once(settings: Settings) -> None:
    """A flusher that was stopped for a while leaves more comments waiting than SQLite takes
    parameters in one statement (32,766)."""
    waiting = [Comment(f"{n:020x}", SITE, "bai-1", READER, None, "Chờ", "pending", n) for n in range(40_000)]
    async with await Archive.open(settings.database_path) as archive:
        assert await archive.comments.moderate([waiting[7].id], "approved", SITE, waiting) == [waiting[7].id]
        assert await archive.comments.waiting(SITE, waiting) == 39_999
