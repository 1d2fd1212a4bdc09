"""Exports from the dashboard: what they hold is what the archive holds, in CSV (with a BOM, for
Excel) or NDJSON, streamed as attachments."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from feedback.archive import Archive
from tests.browser import chromium, open_page
from tests.dashboards import PASSWORD, Dashboard
from tests.support import ORIGIN, READER, SITE, flush

TITLE = 'Nâng cao chất lượng, "thông tin"'


@pytest.fixture
async def signed_in(dashboard: Dashboard) -> AsyncIterator[httpx.AsyncClient]:
    live = dashboard.live
    for number, score in enumerate((4, 5, 2)):
        body = {"score": score, "reader": f"reader-{number:016d}", "title": TITLE, "url": f"{ORIGIN}/bai-1"}
        assert (await live.client.put(live.article_url("bai-1") + "/rating", json=body)).status_code == 200
    await live.vote("bai-2", READER, 3)
    await live.vote("bai-2", READER, 1)  # changed: two events
    comment = {"reader": READER, "body": "Hay =1+2\ndòng hai", "author": "Lan"}
    assert (await live.client.post(live.article_url("bai-1") + "/comments", json=comment)).status_code == 202
    await flush(live.settings)
    async with dashboard.client() as client:
        await dashboard.log_in(client, "viewer@example.vn")
        yield client


def parsed_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_ratings_as_csv_match_the_archive(signed_in: httpx.AsyncClient) -> None:
    response = await signed_in.get(f"/dashboard/sites/{SITE}/export?format=csv&what=ratings")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{SITE}-ratings-start-now.csv"'
    rows = parsed_csv(response)
    assert list(rows[0]) == [
        "article", "title", "url", "votes", "average", "score_1", "score_2", "score_3", "score_4", "score_5", "comments"
    ]  # fmt: skip
    assert rows[0] | {} == {
        "article": "bai-1", "title": TITLE, "url": f"{ORIGIN}/bai-1", "votes": "3", "average": "3.67",
        "score_1": "0", "score_2": "1", "score_3": "0", "score_4": "1", "score_5": "1", "comments": "0",
    }  # fmt: skip
    assert (rows[1]["article"], rows[1]["votes"], rows[1]["score_1"], rows[1]["title"]) == ("bai-2", "1", "1", "")


async def test_events_and_comments_as_ndjson(signed_in: httpx.AsyncClient) -> None:
    events = await signed_in.get(f"/dashboard/sites/{SITE}/export?format=json&what=events")
    assert events.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    lines = [json.loads(line) for line in events.text.splitlines()]
    assert [(line["article"], line["old_score"], line["new_score"]) for line in lines] == [
        ("bai-1", None, 4), ("bai-1", None, 5), ("bai-1", None, 2), ("bai-2", None, 3), ("bai-2", 3, 1)
    ]  # fmt: skip
    assert all(line["at"].endswith("Z") and line["suspect"] is False for line in lines)
    comments = await signed_in.get(f"/dashboard/sites/{SITE}/export?format=json&what=comments")
    (comment,) = [json.loads(line) for line in comments.text.splitlines()]
    assert (comment["body"], comment["author"], comment["status"]) == ("Hay =1+2\ndòng hai", "Lan", "pending")


async def test_the_date_range_is_inclusive_and_in_utc(signed_in: httpx.AsyncClient, dashboard: Dashboard) -> None:
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        (comment,) = await archive.comments.for_editors(SITE, None, None, None, 10)
    today = comment.created_at[:10]
    inside = await signed_in.get(f"/dashboard/sites/{SITE}/export?what=comments&from={today}&to={today}")
    assert len(parsed_csv(inside)) == 1
    before = await signed_in.get(f"/dashboard/sites/{SITE}/export?what=comments&from=2020-01-01&to=2020-12-31")
    assert parsed_csv(before) == []


@pytest.mark.parametrize(
    "query", ["what=votes", "format=xml", "from=2026-13-01", "from=yesterday", "from=2026-12-03&to=2026-12-01"]
)
async def test_a_bad_export_is_refused(signed_in: httpx.AsyncClient, query: str) -> None:
    response = await signed_in.get(f"/dashboard/sites/{SITE}/export?{query}")
    assert response.status_code == 422


async def test_an_export_needs_a_session_and_a_readable_site(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        assert (await client.get(f"/dashboard/sites/{SITE}/export")).status_code == 303
        await dashboard.log_in(client, "editor@example.vn")
        assert (await client.get("/dashboard/sites/bao-khac/export")).status_code == 404


async def test_csv_cells_are_never_formulas(signed_in: httpx.AsyncClient, dashboard: Dashboard) -> None:
    """A comment that starts like a formula is a comment to Excel, not a formula (CSV injection)."""
    body = {"reader": "reader-0000000000000009", "body": '=HYPERLINK("http://evil.example","bấm")'}
    await dashboard.live.client.post(dashboard.live.article_url("bai-3") + "/comments", json=body)
    await flush(dashboard.live.settings)
    rows = parsed_csv(await signed_in.get(f"/dashboard/sites/{SITE}/export?what=comments"))
    assert [row["body"] for row in rows] == ["Hay =1+2\ndòng hai", '\'=HYPERLINK("http://evil.example","bấm")']
    ndjson = await signed_in.get(f"/dashboard/sites/{SITE}/export?what=comments&format=json")
    assert json.loads(ndjson.text.splitlines()[1])["body"] == body["body"]  # NDJSON keeps it as it is


async def test_an_editor_downloads_an_export_from_the_articles_page(dashboard: Dashboard, tmp_path: Path) -> None:
    await dashboard.live.vote("bai-1", READER, 4)
    await flush(dashboard.live.settings)
    async with chromium() as browser:
        page = await open_page(browser, dashboard.live.url + f"/dashboard/login?next=/dashboard/sites/{SITE}/articles")
        await page.get_by_label("E-mail").fill("editor@example.vn")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("link", name="Articles", exact=True)).to_have_attribute("aria-current", "page")
        await page.get_by_label("Data").select_option("events")
        async with page.expect_download() as started:
            await page.get_by_role("button", name="Download").click()
        download = await started.value
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
    assert download.suggested_filename == f"{SITE}-events-start-now.csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [(row["article"], row["reader"], row["new_score"]) for row in rows] == [("bai-1", READER, "4")]
