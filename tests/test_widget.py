"""The widget, as readers get it: in real headless Chromium, on a host page of another origin
than the feedback server's."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from feedback.archive import Archive
from feedback.models import ArticleAbout, Site
from feedback.settings import Rate, Settings
from tests.browser import HostSite, chromium, host_site, open_page
from tests.support import SITE, LiveServer, flush, free_port, serve

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class Setup:
    api: LiveServer
    host: HostSite
    browser: Browser

    def page_with(self, body: str, name: str = "article", **options: object) -> str:
        return self.host.page(name, body, api=self.api.url, **options)  # type: ignore[arg-type]

    async def open(self, body: str, errors: list[str] | None = None, **options: object) -> Page:
        return await open_page(self.browser, self.page_with(body, **options), errors)

    async def summary(self, article: str, reader: str | None = None) -> dict[str, object]:
        return await self.api.summary(article, reader)


@contextlib.asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[Setup]:
    """The feedback server with the site SITE, whose pages are on the host site; a helpful site
    `hoi-dap` there too; and the demo page's sites, on the feedback server's own origin."""
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    async with host_site() as host:
        async with await Archive.open(settings.database_path) as archive:
            await archive.sites.save(Site(SITE, (host.url,)))
            await archive.sites.save(Site("hoi-dap", (host.url,), scale="helpful"))
            await archive.sites.save(Site("demo", (api_url,)))
            await archive.sites.save(Site("demo-helpful", (api_url,), scale="helpful"))
        async with serve(settings, port=api_port) as api, chromium() as browser:
            yield Setup(api, host, browser)


@pytest.fixture
async def setup(settings: Settings) -> AsyncIterator[Setup]:
    async with started(settings) as ready:
        yield ready


WIDGET = f'<feedback-widget site="{SITE}" article="bai-1"></feedback-widget>'


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    """Wait until `check()` holds (what the server has is not a page's state to expect)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "it never happened"
        await asyncio.sleep(0.05)


async def reader_of(page: Page) -> str:
    token = await page.evaluate(f"JSON.parse(localStorage.getItem('feedback:{SITE}:reader'))")
    assert isinstance(token, str)
    return token


async def test_a_reader_votes_changes_and_withdraws(setup: Setup) -> None:
    errors: list[str] = []
    page = await setup.open(WIDGET, errors)
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_be_visible()
    await page.get_by_role("radio", name="4 sao").click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
    await expect(page.get_by_role("radio", name="4 sao")).to_have_attribute("aria-checked", "true")
    await expect(page.get_by_role("status")).to_have_text("Cảm ơn bạn đã đánh giá.")
    reader = await reader_of(page)
    assert (await setup.summary("bai-1", reader))["mine"] == 4

    await page.get_by_role("radio", name="2 sao").click()
    await expect(page.get_by_text("2,0 trên 5 · 1 lượt đánh giá")).to_be_visible()
    assert (await setup.summary("bai-1", reader))["mine"] == 2

    await page.get_by_role("button", name="Bỏ đánh giá").click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_be_visible()
    await expect(page.get_by_role("status")).to_have_text("Đã bỏ đánh giá của bạn.")
    assert (await setup.summary("bai-1", reader))["count"] == 0
    assert errors == []


async def test_keyboard_alone_votes_through_one_tab_stop(setup: Setup) -> None:
    page = await setup.open("<button>before</button>" + WIDGET)
    await page.get_by_role("button", name="before").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("radio", name="1 sao")).to_be_focused()
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(page.get_by_role("radio", name="3 sao")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("radio", name="3 sao")).to_have_attribute("aria-checked", "true")
    assert (await setup.summary("bai-1", await reader_of(page)))["mine"] == 3
    radios = page.get_by_role("radio")
    assert [await radio.get_attribute("tabindex") for radio in await radios.all()] == ["-1", "-1", "0", "-1", "-1"]


async def test_a_returning_reader_sees_their_vote(setup: Setup) -> None:
    page = await setup.open(WIDGET)
    await page.get_by_role("radio", name="5 sao").click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("radio", name="5 sao")).to_have_attribute("aria-checked", "true")
    await expect(page.get_by_role("button", name="Bỏ đánh giá")).to_be_visible()


async def test_english_and_vietnamese_numbers(setup: Setup) -> None:
    for reader, score in (("reader-0000000000000001", 4), ("reader-0000000000000002", 5)):
        await setup.api.vote("bai-1", reader, score)
    english = await setup.open(WIDGET.replace("<feedback-widget", '<feedback-widget lang="en"'))
    await expect(english.get_by_role("heading", name="Rate this article (2)")).to_be_visible()
    await expect(english.get_by_text("4.5 out of 5 · 2 ratings")).to_be_visible()
    vietnamese = await setup.open(WIDGET)
    await expect(vietnamese.get_by_text("4,5 trên 5 · 2 lượt đánh giá")).to_be_visible()


async def test_a_div_works_where_unknown_tags_are_stripped(setup: Setup) -> None:
    body = f'<div data-feedback-site="{SITE}" data-feedback-article="bai-2" data-feedback-lang="en"></div>'
    page = await setup.open(body)
    await page.get_by_role("radio", name="3 stars").click()
    await expect(page.get_by_role("heading", name="Rate this article (1)")).to_be_visible()
    assert (await setup.summary("bai-2"))["count"] == 1


async def test_widgets_added_later_start_by_themselves_and_share_one_request(setup: Setup) -> None:
    page = await setup.open("<main></main>")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await page.evaluate(
        f"""for (const id of ["a-1", "a-2", "a-3"]) {{
            const widget = document.createElement("feedback-widget");
            widget.setAttribute("site", "{SITE}");
            widget.setAttribute("article", id);
            document.querySelector("main").append(widget);
        }}"""
    )
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_have_count(3)
    await page.wait_for_timeout(300)
    api_calls = [url for url in requests if "/api/v1/" in url]
    assert len(api_calls) == 1, api_calls
    assert "/summaries?articles=" in api_calls[0]
    assert sorted(api_calls[0].split("articles=")[1].split(",")) == ["a-1", "a-2", "a-3"]


async def test_nothing_is_asked_of_the_server_until_the_widget_is_near(setup: Setup) -> None:
    requests: list[str] = []
    page = await setup.open('<div style="height: 5000px"></div>' + WIDGET)
    page.on("request", lambda request: requests.append(request.url))
    await page.wait_for_timeout(500)
    assert [url for url in requests if "/api/v1/" in url] == []
    await page.get_by_role("heading", name=re.compile("ĐÁNH GIÁ")).scroll_into_view_if_needed()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_be_visible()
    assert [url for url in requests if "/api/v1/" in url] != []


async def test_a_helpful_site_asks_yes_or_no(setup: Setup) -> None:
    page = await setup.open('<feedback-widget site="hoi-dap" article="huong-dan" lang="en"></feedback-widget>')
    await page.get_by_role("button", name="Yes").click()
    await expect(page.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_text("100% found it helpful · 1 rating")).to_be_visible()
    await expect(page.get_by_role("heading", name="Was this article helpful? (1)")).to_be_visible()


async def test_the_title_and_url_reach_the_archive(setup: Setup) -> None:
    head = f'<link rel="canonical" href="{setup.host.url}/tin/bai-1.html">'
    page = await setup.open(WIDGET, head=head)
    await page.get_by_role("radio", name="4 sao").click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
    await flush(setup.api.settings)
    async with await Archive.open(setup.api.settings.database_path) as archive:
        about = await archive.articles.about(SITE, "bai-1")
    assert about == ArticleAbout("Bài viết thử nghiệm", f"{setup.host.url}/tin/bai-1.html")


async def test_a_comment_is_sent_awaits_moderation_and_shows_once_approved(setup: Setup) -> None:
    page = await setup.open(WIDGET)
    await page.get_by_text("Bình luận (0)").click()
    await page.get_by_label("Tên (không bắt buộc)").fill("Lan")
    text = '<img src=x onerror="window.hacked=1">\nDòng thứ hai'
    await page.get_by_label("Ý kiến của bạn").fill(text)
    await expect(page.get_by_text(f"{len(text)}/2.000 ký tự")).to_be_visible()
    await page.get_by_role("button", name="Gửi bình luận").click()
    await expect(page.get_by_role("status")).to_have_text("Đã gửi: bình luận sẽ hiện sau khi được duyệt.")
    await expect(page.get_by_text("Đang chờ duyệt")).to_be_visible()

    await flush(setup.api.settings)
    async with await Archive.open(setup.api.settings.database_path) as archive:
        (comment,) = await archive.comments.for_editors(SITE, "pending", None, None, 10)
        await archive.comments.moderate([comment.id], "approved")
    await flush(setup.api.settings)
    other = await setup.open(WIDGET)  # another reader
    await other.get_by_text("Bình luận (1)").click()
    body = other.locator("feedback-widget li p.body")
    await expect(body).to_have_text(text)
    assert await other.evaluate("window.hacked") is None
    assert await other.locator("feedback-widget img").count() == 0
    await expect(other.get_by_text("Đang chờ duyệt")).to_have_count(0)


async def test_a_vote_made_while_the_server_is_unreachable_arrives_when_it_is_back(setup: Setup) -> None:
    page = await setup.open(WIDGET)
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_be_visible()
    await page.route("**/rating", lambda route: route.abort())
    await page.get_by_role("radio", name="4 sao").click()
    await expect(page.get_by_role("status")).to_have_text("Mất kết nối: đánh giá sẽ được gửi khi có mạng.")
    assert (await setup.summary("bai-1"))["count"] == 0
    await page.unroute("**/rating")
    await page.evaluate("dispatchEvent(new Event('online'))")

    async def arrived() -> bool:
        return (await setup.summary("bai-1"))["count"] == 1

    await eventually(arrived)


HOSTILE_CSS = """<style>
* { all: unset !important; font-size: 40px !important; }
button, [role=radio] { display: none !important; }
html { font-size: 60px; }
</style>"""


async def test_hostile_host_css_breaks_nothing(setup: Setup) -> None:
    page = await setup.open("<p>Bài viết</p>" + WIDGET, head=HOSTILE_CSS)
    star = page.get_by_role("radio", name="4 sao")
    await expect(star).to_be_visible()
    box = await star.bounding_box()
    assert box is not None and 24 <= box["width"] <= 40 and 24 <= box["height"] <= 40
    await star.click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
    # and none of the widget's styles leak out onto the page
    assert await page.evaluate("getComputedStyle(document.querySelector('p')).color") == "rgb(0, 0, 0)"


async def test_a_strict_content_security_policy_stops_nothing(setup: Setup) -> None:
    api = setup.api.url
    policy = f"default-src 'none'; script-src {api}; connect-src {api}; style-src 'self'"
    errors: list[str] = []
    page = await setup.open(WIDGET, errors, headers={"Content-Security-Policy": policy})
    await page.get_by_role("radio", name="4 sao").click()
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
    stars = page.get_by_role("radio", name="4 sao")
    assert await stars.evaluate("element => getComputedStyle(element).width") == "32px"  # its styles applied
    assert errors == []


async def test_the_widget_reserves_its_height_before_data_arrives(setup: Setup) -> None:
    page = await setup.open(WIDGET + "<p id=after>after</p>")
    await page.route("**/api/v1/**", lambda route: None)  # never answered
    before = await page.locator("#after").bounding_box()
    await page.wait_for_timeout(300)
    after = await page.locator("#after").bounding_box()
    assert before is not None and after is not None and before["y"] == after["y"]
    assert (await page.locator("feedback-widget").bounding_box() or {}).get("height", 0) >= 130


async def test_axe_finds_no_accessibility_violation_on_the_demo_page(setup: Setup) -> None:
    page = await open_page(setup.browser, setup.api.url + "/")
    await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (0)")).to_be_visible()
    await page.locator("feedback-widget").last.scroll_into_view_if_needed()  # widgets load when near
    await expect(page.get_by_role("heading", name="Rate this article (0)")).to_be_visible()
    await expect(page.get_by_role("heading", name="Was this article helpful? (0)")).to_be_visible()
    await page.add_script_tag(path=str(AXE))
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        violations = await page.evaluate(
            "async () => (await axe.run(document)).violations.map(v => `${v.id} ${v.nodes.map(n => n.target)}`)"
        )
        assert violations == [], (scheme, violations)


async def test_a_refused_vote_is_rolled_back_and_says_why(settings: Settings) -> None:
    async with started(replace(settings, vote_rate=Rate(count=1, period_ms=60_000))) as setup:
        page = await setup.open(WIDGET)
        await page.get_by_role("radio", name="4 sao").click()
        await expect(page.get_by_role("heading", name="ĐÁNH GIÁ BÀI VIẾT (1)")).to_be_visible()
        await page.get_by_role("radio", name="2 sao").click()
        await expect(page.get_by_role("status")).to_have_text(
            re.compile(r"^Thao tác quá nhanh: thử lại sau \d+ giây\.$")
        )
        await expect(page.get_by_role("radio", name="4 sao")).to_have_attribute("aria-checked", "true")
        await expect(page.get_by_text("4,0 trên 5 · 1 lượt đánh giá")).to_be_visible()
        assert (await setup.summary("bai-1", await reader_of(page)))["mine"] == 4
