"""The suspect votes review over HTTP: who may see and decide, CSRF, and what accepting or
discarding does to the public API and the export."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from ipaddress import ip_network

import httpx
import pytest
from playwright.async_api import expect

from feedback.archive import Archive
from feedback.settings import Settings
from tests.browser import chromium, open_page
from tests.dashboards import OTHER_SITE, PASSWORD, Dashboard, add_sites_and_users, add_user, csrf_of
from tests.support import SITE, flush, serve
from tests.test_dashboard_browser import no_axe_violations

STUFFER = "198.51.100.7"
XSS_ARTICLE = '<img src=x onerror="alert(1)">'
XSS_TITLE = "Bài <script>alert(2)</script>"


def reader(number: int) -> str:
    return f"reader-{number:016d}"


@pytest.fixture
async def desk(settings: Settings) -> AsyncIterator[Dashboard]:
    """The dashboard's users and sites, served behind a local proxy with a cap of 1 reader per
    address per article a day."""
    settings = replace(settings, trusted_proxies=(ip_network("127.0.0.1"),), readers_per_address=1)
    await add_sites_and_users(settings)
    await add_user(settings, "lan@example.vn", "editor", [SITE], lang="vi")
    async with serve(settings) as live:
        yield Dashboard(live)


async def stuff(desk: Dashboard, article: str, scores: list[int], title: str | None = None) -> None:
    """Votes of new readers all from one address: all but the first are suspect."""
    for number, score in enumerate(scores):
        body: dict[str, object] = {"score": score, "reader": reader(number)}
        if title:
            body["title"] = title
        response = await desk.live.client.put(
            f"{desk.live.article_url(article)}/rating", json=body, headers={"X-Forwarded-For": STUFFER}
        )
        assert response.status_code == 200, response.text
    await flush(desk.live.settings)


def groups_of(page: str) -> list[str]:
    """The groups' checkbox values, as a browser submits them."""
    return [html.unescape(value) for value in re.findall(r'name="group" value="([^"]+)"', page)]


async def awaiting(desk: Dashboard) -> int:
    async with await Archive.open(desk.live.settings.database_path) as archive:
        return (await archive.suspects.page(SITE, 10, 0)).total_votes


async def decide(client: httpx.AsyncClient, form: dict[str, object], site: str = SITE) -> httpx.Response:
    return await client.post(f"/dashboard/sites/{site}/suspects", data=form)


async def test_an_editor_accepts_and_the_public_api_counts_them_once(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1, 2, 2])
    assert (await desk.live.summary("bai-1"))["count"] == 1
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        assert page.status_code == 200
        (group,) = groups_of(page.text)
        response = await decide(client, {"csrf_token": csrf_of(page.text), "decision": "accept", "group": group})
        assert response.status_code == 303
        assert response.headers["location"] == f"/dashboard/sites/{SITE}/suspects?decision=accept&decided=3"
        after = await client.get(response.headers["location"])
        assert groups_of(after.text) == [] and "3 votes accepted" in after.text
    await flush(desk.live.settings)
    summary = await desk.live.summary("bai-1")
    assert (summary["count"], summary["histogram"]) == (4, {"1": 1, "2": 2, "3": 0, "4": 0, "5": 1})
    async with await Archive.open(desk.live.settings.database_path) as archive:
        (entry, *_) = await archive.audit.latest(1)
    assert (entry.actor, entry.action, entry.site, entry.detail["votes"]) == (
        "editor@example.vn",
        "suspects.accept",
        SITE,
        3,
    )


async def test_an_editor_discards_a_cluster_and_the_export_marks_its_votes(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1, 1])
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        (label,) = re.findall(r'name="cluster" value="([0-9a-f]{10})"', page.text)
        response = await decide(client, {"csrf_token": csrf_of(page.text), "decision": "discard", "cluster": label})
        assert response.status_code == 303
        export = await client.get(f"/dashboard/sites/{SITE}/export", params={"format": "json", "what": "events"})
    await flush(desk.live.settings)
    assert (await desk.live.summary("bai-1"))["count"] == 1
    assert await awaiting(desk) == 0
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert sorted((line["new_score"], line["suspect"], line["review"]) for line in lines) == [
        (1, True, "discarded"),
        (1, True, "discarded"),
        (5, False, None),
    ]


async def test_a_viewer_may_read_but_not_decide(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1])
    async with desk.client() as client:
        await desk.log_in(client, "viewer@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        assert page.status_code == 200 and 'name="decision"' not in page.text
        (group,) = groups_of(page.text)
        response = await decide(client, {"csrf_token": csrf_of(page.text), "decision": "accept", "group": group})
    assert response.status_code == 403
    assert await awaiting(desk) == 1


async def test_an_editor_cannot_see_or_decide_on_another_site(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1])
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        overview = await client.get("/dashboard/")
        assert (await client.get(f"/dashboard/sites/{OTHER_SITE}/suspects")).status_code == 404
        own = await client.get(f"/dashboard/sites/{SITE}/suspects")
        form = {"csrf_token": csrf_of(overview.text), "decision": "accept", "group": groups_of(own.text)}
        assert (await decide(client, form, site=OTHER_SITE)).status_code == 404
    assert await awaiting(desk) == 1


async def test_deciding_without_the_csrf_token_changes_nothing(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1])
    async with desk.client() as client:
        await desk.log_in(client, "admin@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        for token in (None, "forged"):
            form = {"decision": "accept", "group": groups_of(page.text)} | ({"csrf_token": token} if token else {})
            assert (await decide(client, form)).status_code == 403
    assert await awaiting(desk) == 1


async def test_a_malformed_decision_is_refused(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1])
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        token = csrf_of(page.text)
        for form in (
            {"decision": "count", "group": groups_of(page.text)},
            {"decision": "accept", "group": "yesterday:bai-1"},
            {"decision": "accept", "cluster": "' OR 1 --"},
        ):
            assert (await decide(client, {"csrf_token": token, **form})).status_code == 422
    assert await awaiting(desk) == 1


async def test_article_ids_and_titles_holding_markup_render_as_text(desk: Dashboard) -> None:
    await stuff(desk, XSS_ARTICLE, [5, 1], title=XSS_TITLE)
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        page = await client.get(f"/dashboard/sites/{SITE}/suspects")
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text
        (group,) = groups_of(page.text)
        form = {"csrf_token": csrf_of(page.text), "decision": "accept", "group": group}
        assert (await decide(client, form)).status_code == 303
    assert await awaiting(desk) == 0


async def test_the_overview_links_each_sites_review(desk: Dashboard) -> None:
    async with desk.client() as client:
        await desk.log_in(client, "editor@example.vn")
        overview = await client.get("/dashboard/")
    assert f'href="/dashboard/sites/{SITE}/suspects"' in overview.text


async def test_an_editor_accepts_in_the_browser_and_the_page_passes_an_axe_scan(desk: Dashboard) -> None:
    await stuff(desk, "bai-1", [5, 1, 2], title="Bài một")
    await stuff(desk, "bai-2", [4, 3])
    async with chromium() as browser:
        page = await open_page(browser, desk.live.url + f"/dashboard/sites/{SITE}/suspects", bypass_csp=True)
        await page.get_by_label("E-mail").fill("lan@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("heading", name=f"Lượt đánh giá đáng ngờ · {SITE}")).to_be_visible()
        await no_axe_violations(page)
        await page.get_by_role("checkbox", name="Chọn Bài một", exact=False).check()
        await page.get_by_role("button", name="Chấp nhận (tính)").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã chấp nhận 2 lượt đánh giá")
        await expect(page.get_by_role("checkbox", name="Chọn Bài một", exact=False)).to_have_count(0)
        await no_axe_violations(page)
    await flush(desk.live.settings)
    assert (await desk.live.summary("bai-1"))["count"] == 3
    assert (await desk.live.summary("bai-2"))["count"] == 1
