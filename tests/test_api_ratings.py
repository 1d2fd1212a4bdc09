"""The reader API: votes, summaries and every error a client can get."""

from __future__ import annotations

import re
import unicodedata

import pytest
from starlette.routing import Route

from feedback import api
from tests.support import READER, SITE, LiveServer

OTHER_READER = "reader-0000000000000002"


def histogram(*counts: int) -> dict[str, int]:
    return {str(score): count for score, count in enumerate(counts, start=1)}


async def test_vote_returns_summary_with_the_readers_score(live: LiveServer) -> None:
    response = await live.vote("bai-1", READER, 4)
    assert response.status_code == 200
    assert response.json() == {
        "site": SITE,
        "article": "bai-1",
        "count": 1,
        "average": 4.0,
        "histogram": histogram(0, 0, 0, 1, 0),
        "comments": 0,
        "scale": "stars",
        "mine": 4,
    }


async def test_changed_vote_replaces_previous_score(live: LiveServer) -> None:
    await live.vote("bai-1", READER, 2)
    await live.vote("bai-1", OTHER_READER, 5)
    response = await live.vote("bai-1", READER, 3)
    body = response.json()
    assert body["count"] == 2
    assert body["histogram"] == histogram(0, 0, 1, 0, 1)
    assert body["average"] == 4.0


async def test_same_score_twice_counts_once(live: LiveServer) -> None:
    await live.vote("bai-1", READER, 5)
    body = (await live.vote("bai-1", READER, 5)).json()
    assert body["count"] == 1


async def test_withdrawn_vote_leaves_the_summary(live: LiveServer) -> None:
    await live.vote("bai-1", READER, 1)
    await live.vote("bai-1", OTHER_READER, 4)
    response = await live.withdraw("bai-1", READER)
    assert response.status_code == 200
    assert response.json()["histogram"] == histogram(0, 0, 0, 1, 0)
    assert response.json()["mine"] is None


async def test_withdrawing_without_a_vote_changes_nothing(live: LiveServer) -> None:
    response = await live.withdraw("bai-1", READER)
    assert response.status_code == 200
    assert response.json()["count"] == 0


async def test_summary_of_unrated_article_is_empty(live: LiveServer) -> None:
    assert await live.summary("never-rated") == {
        "site": SITE,
        "article": "never-rated",
        "count": 0,
        "average": None,
        "histogram": histogram(0, 0, 0, 0, 0),
        "comments": 0,
        "scale": "stars",
    }


async def test_summary_with_reader_includes_their_score(live: LiveServer) -> None:
    await live.vote("bai-1", READER, 2)
    assert (await live.summary("bai-1", reader=READER))["mine"] == 2
    assert (await live.summary("bai-1", reader=OTHER_READER))["mine"] is None


async def test_average_is_rounded_to_two_decimals(live: LiveServer) -> None:
    for index, score in enumerate((1, 2, 2)):
        await live.vote("bai-1", f"reader-{index:016d}", score)
    assert (await live.summary("bai-1"))["average"] == 1.67


async def test_composed_and_decomposed_article_ids_are_one_article(live: LiveServer) -> None:
    composed = unicodedata.normalize("NFC", "bài-viết")
    decomposed = unicodedata.normalize("NFD", "bài-viết")
    assert composed != decomposed
    await live.vote(composed, READER, 5)
    body = (await live.vote(decomposed, OTHER_READER, 3)).json()
    assert body["count"] == 2
    assert body["article"] == composed


async def test_article_ids_may_contain_slashes_and_the_word_rating(live: LiveServer) -> None:
    await live.vote("tin-tuc/2026/rating", READER, 4)
    assert (await live.summary("tin-tuc/2026/rating"))["count"] == 1
    assert (await live.summary("tin-tuc/2026"))["count"] == 0


async def test_a_path_ending_in_comments_is_the_articles_comments_not_a_summary(live: LiveServer) -> None:
    await live.vote("tin-tuc/2026", READER, 4)
    response = await live.client.get(live.article_url("tin-tuc/2026") + "/comments")
    assert response.status_code == 200
    assert "comments" in response.json() and "histogram" not in response.json()
    response = await live.client.put(live.article_url("tin-tuc/2026"), json={"score": 3, "reader": READER})
    assert response.status_code == 405


async def test_summaries_lists_articles_in_order_including_unrated(live: LiveServer) -> None:
    await live.vote("a", READER, 5)
    await live.vote("bài", READER, 1)
    response = await live.client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": "b,a,bài"})
    assert response.status_code == 200
    summaries = response.json()["summaries"]
    assert [(s["article"], s["count"]) for s in summaries] == [("b", 0), ("a", 1), ("bài", 1)]


async def test_summaries_accepts_one_hundred_articles_not_more(live: LiveServer) -> None:
    ids = ",".join(f"article-{index}" for index in range(100))
    response = await live.client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": ids})
    assert len(response.json()["summaries"]) == 100
    response = await live.client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": ids + ",one-more"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_articles"


@pytest.mark.parametrize("query", ["", "?articles=", "?articles=a,,b"])
async def test_summaries_needs_article_ids(live: LiveServer, query: str) -> None:
    response = await live.client.get(f"/api/v1/sites/{SITE}/summaries{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid_articles", "invalid_article")


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, "4", None, True, [4]])
async def test_invalid_score_is_rejected_and_records_nothing(live: LiveServer, score: object) -> None:
    response = await live.client.put(live.article_url("bai-1") + "/rating", json={"score": score, "reader": READER})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_score"
    assert (await live.summary("bai-1"))["count"] == 0


@pytest.mark.parametrize(
    "reader", ["short", "x" * 65, "has space in it!!", "ngườiđọc-0000000000", 12345678901234567, None]
)
async def test_invalid_reader_is_rejected(live: LiveServer, reader: object) -> None:
    response = await live.client.put(live.article_url("bai-1") + "/rating", json={"score": 3, "reader": reader})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_reader"
    assert "16-64" in response.json()["error"]["message"]


async def test_invalid_reader_in_query_is_rejected(live: LiveServer) -> None:
    response = await live.client.delete(live.article_url("bai-1") + "/rating", params={"reader": "nope"})
    assert response.status_code == 422
    response = await live.client.delete(live.article_url("bai-1") + "/rating")
    assert response.status_code == 422
    response = await live.client.get(live.article_url("bai-1"), params={"reader": "nope"})
    assert response.status_code == 422


@pytest.mark.parametrize("article", ["x" * 201, "tab\there", "line\nbreak", "nul\x00"])
async def test_invalid_article_id_is_rejected(live: LiveServer, article: str) -> None:
    response = await live.vote(article, READER, 3)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_article"


async def test_article_id_of_two_hundred_characters_is_accepted(live: LiveServer) -> None:
    assert (await live.vote("ớ" * 200, READER, 3)).status_code == 200


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b"", b"\xff\xfe"])
async def test_malformed_json_is_rejected(live: LiveServer, body: bytes) -> None:
    response = await live.client.put(live.article_url("bai-1") + "/rating", content=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


async def test_body_over_four_kib_is_rejected(live: LiveServer) -> None:
    body = b'{"score": 3, "reader": "' + READER.encode() + b'", "padding": "' + b"x" * 4096 + b'"}'
    response = await live.client.put(live.article_url("bai-1") + "/rating", content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert (await live.summary("bai-1"))["count"] == 0


async def test_chunked_body_over_four_kib_is_rejected(live: LiveServer) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b" " * 1000

    response = await live.client.put(live.article_url("bai-1") + "/rating", content=chunks())
    assert response.status_code == 413


async def test_unknown_site_is_404(live: LiveServer) -> None:
    response = await live.vote("bai-1", READER, 3, site="no-such-site")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"
    response = await live.client.get("/api/v1/sites/no-such-site/summaries?articles=a")
    assert response.status_code == 404


async def test_unknown_path_and_wrong_method_answer_json(live: LiveServer) -> None:
    response = await live.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = await live.client.post(live.article_url("bai-1") + "/rating", json={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_openapi_document_describes_every_endpoint(live: LiveServer) -> None:
    response = await live.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    for route in api.routes:
        assert isinstance(route, Route) and route.methods is not None
        if route.path == "/api/v1/openapi.json":
            continue  # the document itself
        path = re.sub(r":\w+}", "}", route.path)  # the OpenAPI path names no convertor
        assert {(path, method) for method in route.methods - {"HEAD"}} <= documented, path


async def test_demo_page_is_served(live: LiveServer) -> None:
    response = await live.client.get("/")
    assert response.status_code == 200
    assert '<script async src="/widget.js"></script>' in response.text
    assert '<feedback-widget site="demo" article="bài-viết-mẫu"></feedback-widget>' in response.text


async def test_average_rounds_half_up(live: LiveServer) -> None:
    # 37 / 8 = 4.625 exactly: rounding the float (banker's or binary) would give 4.62.
    scores = (4, 4, 4, 5, 5, 5, 5, 5)
    for index, score in enumerate(scores):
        await live.vote("bai-1", f"reader-{index:016d}", score)
    assert (await live.summary("bai-1"))["average"] == 4.63
