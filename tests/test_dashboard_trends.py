"""The overview over a run of days and the one-article page, from the per-day aggregates: what
they count, in the site's time zone, and what they refuse."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from feedback.archive import Archive, FlushPosition
from feedback.local_days import DAY_MS, local_day
from feedback.models import DEFAULT_TIME_ZONE, ArticleAbout, ArticleInfo, Comment, VoteChange, VoteEvent
from feedback.settings import Settings
from tests.browser import chromium, open_page
from tests.dashboards import OTHER_SITE, PASSWORD, Dashboard, add_user
from tests.support import SITE
from tests.test_dashboard_browser import no_axe_violations

XSS = "<script>alert(1)</script>"


def _reader(number: int) -> str:
    return f"reader-{number:016d}"


async def seed(dashboard: Dashboard, now_ms: int) -> None:
    """Four articles: 'tot' rated 5 by ten readers this week, 'te' rated 1 by ten, 'mot' one 5
    (a single vote must not top the list), and 'doi' rated 2 last week and 5 this week."""
    events: list[VoteEvent] = []
    version = 0

    def vote(article: str, reader: int, score: int, days_ago: float) -> None:
        nonlocal version
        version += 1
        at = int(now_ms - days_ago * DAY_MS)
        events.append(VoteEvent(VoteChange(SITE, article, _reader(reader), score), version=version, at_ms=at))

    for reader in range(10):
        vote("tot", reader, 5, 1)
        vote("te", reader, 1, 2)
        vote("doi", reader, 2, 10)
        vote("doi", reader + 100, 5, 3)
    vote("mot", 0, 5, 1)
    vote(XSS, 0, 4, 1)
    comments = [
        Comment(
            f"{now_ms - DAY_MS - n:012x}0000000{n}",
            SITE,
            "te",
            _reader(n),
            None,
            f"ý kiến {n}",
            "pending",
            now_ms - DAY_MS - n,
        )
        for n in range(3)
    ]
    comments.append(
        Comment(f"{now_ms - DAY_MS:012x}00000009", SITE, XSS, _reader(9), XSS, XSS, "approved", now_ms - DAY_MS)
    )
    infos = [ArticleInfo(SITE, "tot", ArticleAbout("Bài được yêu thích", "https://vnexpress.net/tot"), now_ms)]
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "9-0"), events, comments, infos)


@pytest.fixture
async def seeded(dashboard: Dashboard) -> Dashboard:
    await seed(dashboard, time.time_ns() // 1_000_000)
    return dashboard


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


async def test_the_overview_ranks_counts_and_compares_the_last_7_days(seeded: Dashboard) -> None:
    async with seeded.client() as admin:
        await seeded.log_in(admin, "admin@example.vn")
        page = await admin.get(f"/dashboard/?site={SITE}&range=7d")
    assert page.status_code == 200
    html = page.text
    # 10 + 10 + 10 + 1 + 1 votes given this week; 10 the week before.
    votes_card = re.search(r"<dt>Ratings</dt><dd>([\d,]+)</dd>\s*<dd[^>]*>Previous period: ([\d,]+)</dd>", html)
    assert votes_card and votes_card.groups() == ("32", "10")
    best = section(html, "best-heading")
    assert "Bài được yêu thích" in best
    assert max(best.index("/articles/tot"), best.index("/articles/doi")) < best.index("/articles/mot")  # one vote: low
    assert "te" not in re.findall(r">(\w+)</a>", best)
    worst = section(html, "worst-heading")
    # Five articles rated: the better three are the best, the other two the worst, each listed once.
    assert worst.index("/articles/te") < worst.index("%3Cscript") and "/articles/mot" not in worst
    movers = section(html, "movers-heading")
    assert "/articles/doi" in movers and "▲" in movers
    discussed = section(html, "discussed-heading")
    assert discussed.index("/articles/te") < discussed.index("%3Cscript")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(GMT+7)" in html  # the site's time zone, Asia/Ho_Chi_Minh by default


async def test_the_overview_refuses_a_bad_range_and_shows_why(seeded: Dashboard) -> None:
    async with seeded.client() as admin:
        await seeded.log_in(admin, "admin@example.vn")
        for query in ("range=custom&from=2026-12-05&to=2026-12-01", "range=custom&from=2024-01-01&to=2026-01-01",
                      "range=custom&from=hôm-qua&to=2026-01-01", "range=custom"):  # fmt: skip
            page = await admin.get(f"/dashboard/?site={SITE}&{query}")
            assert page.status_code == 422, query
            assert "Not a valid range" in page.text
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
        ok = await admin.get(f"/dashboard/?site={SITE}&range=custom&from=2026-01-01&to={day}")
    assert ok.status_code == 200 and "<dd>42</dd>" in ok.text  # both weeks


async def test_an_editor_sees_only_their_sites_in_the_overview(seeded: Dashboard) -> None:
    async with seeded.client() as editor:
        await seeded.log_in(editor, "editor@example.vn")
        page = await editor.get(f"/dashboard/?site={OTHER_SITE}")
    assert page.status_code == 200
    assert f"<option>{OTHER_SITE}</option>" not in page.text and f"<option selected>{SITE}</option>" in page.text


async def test_one_articles_page_shows_its_distribution_history_and_comments(seeded: Dashboard) -> None:
    async with seeded.client() as viewer:
        await seeded.log_in(viewer, "viewer@example.vn")
        page = await viewer.get(f"/dashboard/sites/{SITE}/articles/doi")
        xss = await viewer.get(f"/dashboard/sites/{SITE}/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        te = await viewer.get(f"/dashboard/sites/{SITE}/articles/te")
        missing = await viewer.get(f"/dashboard/sites/{SITE}/articles/nothing-here")
        other = await viewer.get(f"/dashboard/sites/{OTHER_SITE}/articles/doi")
    assert page.status_code == 200
    distribution = section(page.text, "distribution-heading")
    assert "10 (50%)" in distribution  # ten 2s and ten 5s
    history = section(page.text, "history-heading")
    assert history.count("<tr>") == 1 + 20
    assert "reader-0" not in history  # a reader's token lets its holder vote as them: only a hash is shown
    assert xss.status_code == 200 and XSS not in xss.text and "&lt;script&gt;" in xss.text
    assert "ý kiến 2" in te.text and "Pending" in te.text
    assert (missing.status_code, other.status_code) == (404, 404)


async def test_the_overview_speaks_vietnamese(seeded: Dashboard) -> None:
    await add_user(seeded.live.settings, "bientap@example.vn", "editor", [SITE], lang="vi")
    async with seeded.client() as editor:
        await seeded.log_in(editor, "bientap@example.vn")
        page = await editor.get(f"/dashboard/?site={SITE}&range=30d")
    assert "Được đánh giá cao nhất" in page.text and "Kỳ trước: 10" not in page.text  # 30 days hold all
    assert re.search(r"<dd>(\d+,\d\d)</dd>", page.text)  # the average, written 3,97 in Vietnamese


async def log_in_page(browser: Browser, url: str, errors: list[str] | None = None, bypass_csp: bool = False) -> Page:
    page = await open_page(browser, url + "/dashboard/login", errors, bypass_csp=bypass_csp)
    await page.get_by_label("E-mail").fill("admin@example.vn")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    return page


async def test_the_charts_draw_under_the_strict_policy_and_pass_an_axe_scan(seeded: Dashboard, tmp_path: Path) -> None:
    paths = (f"/dashboard/?site={SITE}&range=30d", f"/dashboard/sites/{SITE}/articles/doi")
    async with chromium() as browser:
        errors: list[str] = []  # a refused script or style shows as a console error
        page = await log_in_page(browser, seeded.live.url, errors)
        for number, path in enumerate(paths):
            await page.goto(seeded.live.url + path)
            chart = page.locator("#trend-chart canvas").first
            await expect(chart).to_be_visible()
            box = await chart.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
            await page.screenshot(path=str(tmp_path / f"chart-{number}.png"), full_page=True)
        assert errors == []
        scanned = await log_in_page(browser, seeded.live.url, bypass_csp=True)
        for path in paths:
            await scanned.goto(seeded.live.url + path)
            await expect(scanned.locator("#trend-chart canvas").first).to_be_visible()
            await no_axe_violations(scanned)


async def test_an_article_rated_alike_in_both_periods_did_not_move(site_settings: Settings) -> None:
    now_ms = time.time_ns() // 1_000_000
    events = [
        VoteEvent(VoteChange(SITE, "same", _reader(1), 5), version=1, at_ms=now_ms - 10 * DAY_MS),
        VoteEvent(VoteChange(SITE, "same", _reader(2), 5), version=2, at_ms=now_ms - DAY_MS),
        VoteEvent(VoteChange(SITE, "rose", _reader(1), 1), version=3, at_ms=now_ms - 10 * DAY_MS),
        VoteEvent(VoteChange(SITE, "rose", _reader(2), 5), version=4, at_ms=now_ms - DAY_MS),
    ]
    async with await Archive.open(site_settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "9-0"), events, [])
        today = local_day(DEFAULT_TIME_ZONE, now_ms)
        movers = (await archive.trends.rankings(SITE, today - 6, today, 5)).movers
    assert [mover.article for mover in movers] == ["rose"]
