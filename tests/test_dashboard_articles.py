"""The articles page: what readers think of each article, ranked so that one 5-star vote does
not top articles with many, searchable, sortable and in pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from feedback.archive.reports import PRIOR_VOTES
from tests.dashboards import Dashboard
from tests.support import ORIGIN, SITE, flush


async def vote(dashboard: Dashboard, article: str, scores: list[int], title: str | None = None) -> None:
    live = dashboard.live
    for number, score in enumerate(scores):
        body: dict[str, object] = {"score": score, "reader": f"reader-{article}-{number:09d}"}
        if title:
            body |= {"title": title, "url": f"{ORIGIN}/{article}"}
        assert (await live.client.put(live.article_url(article) + "/rating", json=body)).status_code == 200


@pytest.fixture
async def editor(dashboard: Dashboard) -> AsyncIterator[httpx.AsyncClient]:
    await vote(dashboard, "one-five", [5], title="Một phiếu năm sao")
    await vote(dashboard, "many-fours", [4] * 30 + [5] * 10, title='Nhiều phiếu <script>alert("x")</script>')
    await vote(dashboard, "poor", [1, 2, 1, 2])
    await flush(dashboard.live.settings)
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        yield client


def article_order(html: str) -> list[str]:
    """The articles of a page, in order: each row's title, or its id when it has none."""
    return [name.strip() for name in re.findall(r"<tr>\s*<td>(?:<a [^>]*>)?([^<]+)", html)]


async def test_articles_are_ranked_by_a_bayesian_average(editor: httpx.AsyncClient) -> None:
    page = await editor.get(f"/dashboard/sites/{SITE}/articles")
    assert page.status_code == 200
    order = article_order(page.text)
    assert order[0].startswith("Nhiều phiếu") and order[1] == "Một phiếu năm sao" and order[2] == "poor"
    assert PRIOR_VOTES > 1  # what keeps the lone 5 from the top
    by_average = article_order((await editor.get(f"/dashboard/sites/{SITE}/articles?sort=average")).text)
    assert by_average[0] == "Một phiếu năm sao"


async def test_titles_link_to_the_article_and_are_escaped(editor: httpx.AsyncClient) -> None:
    page = (await editor.get(f"/dashboard/sites/{SITE}/articles")).text
    assert f'href="{ORIGIN}/many-fours"' in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert f'href="/dashboard/sites/{SITE}/articles/poor">poor</a>' in page  # no title: the id, to its page


async def test_articles_are_searched_by_title_or_id(editor: httpx.AsyncClient) -> None:
    by_title = article_order((await editor.get(f"/dashboard/sites/{SITE}/articles?q=năm sao")).text)
    assert by_title == ["Một phiếu năm sao"]
    by_id = article_order((await editor.get(f"/dashboard/sites/{SITE}/articles?q=POOR")).text)
    assert by_id == ["poor"]
    none = await editor.get(f"/dashboard/sites/{SITE}/articles?q=%25")  # a % is a %, not a wildcard
    assert article_order(none.text) == []


async def test_articles_sort_by_title_or_their_id_when_untitled(editor: httpx.AsyncClient) -> None:
    page = await editor.get(f"/dashboard/sites/{SITE}/articles?sort=title")
    assert page.status_code == 200
    order = article_order(page.text)
    assert order[0] == "Một phiếu năm sao" and order[1].startswith("Nhiều phiếu") and order[2] == "poor"


async def test_bad_sort_and_page_fall_back_and_other_sites_are_hidden(
    editor: httpx.AsyncClient, dashboard: Dashboard
) -> None:
    fallback = await editor.get(f"/dashboard/sites/{SITE}/articles?sort=DROP&page=-1")
    assert fallback.status_code == 200
    assert (await editor.get("/dashboard/sites/bao-khac/articles")).status_code == 404
