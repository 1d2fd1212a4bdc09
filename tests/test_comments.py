"""The comment API: what is refused, how pre- and post-moderation show a comment, spam that its
writer cannot tell apart, pages across flushes, and plain text kept exactly as written."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import unicodedata
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis import Redis as SyncRedis

from feedback.archive import Archive
from feedback.hot.keys import KeyLayout
from feedback.models import CommentStatus, Moderation, Site
from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import ORIGIN, READER, SITE, LiveServer, flush, serve, with_redis

POST_SITE = "post-moderated"
"""A site whose comments show at once, with blocked words; SITE moderates before showing."""
BLOCKED_WORDS = ("spamword", "lừa đảo")
OTHER_READER = "reader-0000000000000002"
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
]


async def save_site(
    settings: Settings, site: str, moderation: Moderation = "pre", blocked_words: tuple[str, ...] = ()
) -> None:
    async with await Archive.open(settings.database_path) as archive:
        await archive.sites.save(Site(site, (ORIGIN,), moderation=moderation, blocked_words=blocked_words))


async def moderate(settings: Settings, ids: Sequence[str], status: CommentStatus) -> None:
    async with await Archive.open(settings.database_path) as archive:
        assert await archive.comments.moderate(ids, status) == list(ids)


def stored_statuses(settings: Settings) -> dict[str, str]:
    with sqlite3.connect(settings.database_path) as db:
        return dict(db.execute("SELECT id, status FROM comments").fetchall())


def stored_comment(settings: Settings, comment_id: str) -> tuple[str | None, str]:
    with sqlite3.connect(settings.database_path) as db:
        row = db.execute("SELECT author, body FROM comments WHERE id = ?", (comment_id,)).fetchone()
    assert row is not None, f"comment {comment_id} is not in SQLite"
    return row[0], row[1]


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server with SITE (pre-moderation) and POST_SITE (post-moderation, blocked words)."""
    await save_site(settings, SITE)
    await save_site(settings, POST_SITE, "post", BLOCKED_WORDS)
    async with serve(settings) as server:
        yield server


def comments_url(live: LiveServer, article: str, site: str) -> str:
    return f"{live.article_url(article, site)}/comments"


async def post(
    live: LiveServer, article: str, body: str, site: str = SITE, reader: str = READER, **fields: Any
) -> httpx.Response:
    return await live.client.post(comments_url(live, article, site), json={"reader": reader, "body": body, **fields})


async def posted_id(live: LiveServer, article: str, body: str, site: str = SITE, **fields: Any) -> str:
    response = await post(live, article, body, site, **fields)
    assert response.status_code == 202, response.text
    comment_id: str = response.json()["id"]
    return comment_id


async def listing(live: LiveServer, article: str, site: str = SITE, **params: str) -> dict[str, Any]:
    response = await live.client.get(comments_url(live, article, site), params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def listed_ids(live: LiveServer, article: str, site: str = SITE, **params: str) -> list[str]:
    return [comment["id"] for comment in (await listing(live, article, site, **params))["comments"]]


async def all_pages(live: LiveServer, article: str, site: str, limit: int) -> tuple[list[str], set[int]]:
    """Every comment id, following `next` from the newest page; and every `count` the pages gave."""
    ids: list[str] = []
    counts: set[int] = set()
    params = {"limit": str(limit)}
    while True:
        page = await listing(live, article, site, **params)
        assert len(page["comments"]) <= limit
        ids += [comment["id"] for comment in page["comments"]]
        counts.add(page["count"])
        if page["next"] is None:
            return ids, counts
        assert page["next"] == ids[-1]
        params["before"] = page["next"]


# Refused input


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"body": ""}, "invalid_body", id="empty body"),
        pytest.param({"body": " \r\n\n  "}, "invalid_body", id="whitespace-only body"),
        pytest.param({"body": "x" * 2001}, "invalid_body", id="body of 2001 characters"),
        pytest.param({"body": "nul\x00byte"}, "invalid_body", id="NUL in body"),
        pytest.param({"body": "tab\there"}, "invalid_body", id="tab in body"),
        pytest.param({"body": "escape \x1b[31m red"}, "invalid_body", id="escape in body"),
        pytest.param({"body": None}, "invalid_body", id="null body"),
        pytest.param({"body": 42}, "invalid_body", id="number as body"),
        pytest.param(
            {"body": "http://a.vn https://b.vn www.c.vn HTTP://d.vn"}, "too_many_links", id="four links in body"
        ),
        pytest.param({"author": "x" * 81}, "invalid_author", id="author of 81 characters"),
        pytest.param({"author": "Nguyễn\nVăn An"}, "invalid_author", id="newline in author"),
        pytest.param({"author": 7}, "invalid_author", id="number as author"),
        pytest.param({"reader": "short"}, "invalid_reader", id="short reader"),
        pytest.param({"reader": "ngườiđọc-000000000000"}, "invalid_reader", id="non-ASCII reader"),
        pytest.param({"reader": None}, "invalid_reader", id="no reader"),
    ],
)
async def test_invalid_comment_is_rejected_and_stores_nothing(
    live: LiveServer, fields: dict[str, Any], code: str
) -> None:
    body = {"reader": READER, "body": "Bài viết hay.", "author": "Lan", "website": ""} | fields
    response = await live.client.post(comments_url(live, "bai-1", POST_SITE), json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert (await listing(live, "bai-1", POST_SITE, reader=READER))["comments"] == []
    await flush(live.settings)
    assert stored_statuses(live.settings) == {}


async def test_comment_at_every_limit_is_accepted(live: LiveServer) -> None:
    at_limits = "https://a.vn www.b.vn http://c.vn " + "x" * (2000 - 34)
    assert len(at_limits) == 2000
    response = await post(live, "bai-1", at_limits, POST_SITE, author="A" * 80)
    assert response.status_code == 202
    (comment,) = (await listing(live, "bai-1", POST_SITE))["comments"]
    assert comment["body"] == at_limits
    assert comment["author"] == "A" * 80


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({"limit": "0"}, "invalid_limit", id="limit 0"),
        pytest.param({"limit": "101"}, "invalid_limit", id="limit 101"),
        pytest.param({"limit": "-1"}, "invalid_limit", id="negative limit"),
        pytest.param({"limit": "ten"}, "invalid_limit", id="limit in words"),
        pytest.param({"limit": "²"}, "invalid_limit", id="superscript limit"),
        pytest.param({"limit": ""}, "invalid_limit", id="empty limit"),
        pytest.param({"before": "not-a-comment-id"}, "invalid_cursor", id="cursor of words"),
        pytest.param({"before": "0190A1B2C3D4DEADBEEF"}, "invalid_cursor", id="upper-case cursor"),
        pytest.param({"before": "0190a1b2c3d4deadbee"}, "invalid_cursor", id="cursor of 19 digits"),
        pytest.param({"reader": "nope"}, "invalid_reader", id="short reader"),
    ],
)
async def test_invalid_listing_query_is_rejected(live: LiveServer, params: dict[str, str], code: str) -> None:
    response = await live.client.get(comments_url(live, "bai-1", SITE), params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        "e\u0301" * 2000,  # 2000 characters once composed, 6000 bytes as sent
        "👍" * 2000,
        "Bài viết rất hữu ích, cảm ơn tác giả. " * 52,
    ],
)
async def test_any_valid_comment_fits_in_a_request_even_json_escaped(live: LiveServer, body: str) -> None:
    escaped = json.dumps({"reader": READER, "body": body})  # ensure_ascii: \uXXXX, 12 bytes an emoji
    response = await live.client.post(
        comments_url(live, "bai-1", POST_SITE), content=escaped, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text


async def test_comment_request_over_24_kib_is_rejected(live: LiveServer) -> None:
    padding = "x" * 24_576
    response = await live.client.post(
        comments_url(live, "bai-1", POST_SITE), json={"reader": READER, "body": "hay", "padding": padding}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert (await listing(live, "bai-1", POST_SITE))["count"] == 0


async def test_comments_of_an_unknown_site_are_404(live: LiveServer) -> None:
    response = await post(live, "bai-1", "Bài viết hay.", site="no-such-site")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"
    response = await live.client.get(comments_url(live, "bai-1", "no-such-site"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_site"


# Spam


@pytest.mark.parametrize(("site", "told"), [(SITE, "pending"), (POST_SITE, "approved")])
async def test_honeypot_comment_is_answered_as_a_normal_one_and_stored_as_spam(
    live: LiveServer, site: str, told: str
) -> None:
    normal = await post(live, "bai-1", "Bài viết hay.", site, website="")
    trapped = await post(live, "bai-1", "Mua thuốc giá rẻ", site, website="https://shop.example")
    assert normal.status_code == trapped.status_code == 202
    assert normal.json()["status"] == trapped.json()["status"] == told
    assert normal.json().keys() == trapped.json().keys() == {"id", "status"}
    trapped_id = trapped.json()["id"]
    assert trapped_id not in await listed_ids(live, "bai-1", site)
    await flush(live.settings)
    assert trapped_id not in await listed_ids(live, "bai-1", site)
    assert stored_statuses(live.settings) == {normal.json()["id"]: told, trapped_id: "spam"}
    # Its writer's own view shows it as any other comment of theirs: a bot learns nothing.
    own = (await listing(live, "bai-1", site, reader=READER))["comments"]
    assert {comment["id"]: comment["status"] for comment in own} == {normal.json()["id"]: told, trapped_id: told}


async def test_honeypot_comment_counts_nowhere(live: LiveServer) -> None:
    await posted_id(live, "bai-1", "Mua thuốc giá rẻ", POST_SITE, website="x")
    assert (await listing(live, "bai-1", POST_SITE))["count"] == 0
    assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 0


@pytest.mark.parametrize(
    "body",
    [
        "Mua ngay SPAMWORD!",
        "spamword",
        "Trang này Lừa Đảo, đừng tin",
        unicodedata.normalize("NFD", "Trang này lừa đảo"),
    ],
)
async def test_comment_with_a_blocked_word_is_spam_its_writer_told_the_usual_status(
    live: LiveServer, body: str
) -> None:
    response = await post(live, "bai-1", body, POST_SITE)
    assert response.status_code == 202
    assert response.json()["status"] == "approved"
    listed = await listing(live, "bai-1", POST_SITE)
    assert listed["comments"] == []
    assert listed["count"] == 0
    await flush(live.settings)
    assert stored_statuses(live.settings) == {response.json()["id"]: "spam"}


async def test_blocked_words_match_whole_words_only(live: LiveServer) -> None:
    comment_id = await posted_id(live, "bai-1", "Spamwords and antispamword are other words", POST_SITE)
    assert await listed_ids(live, "bai-1", POST_SITE) == [comment_id]


# Moderation


async def test_pre_moderated_comment_shows_once_an_editor_approves_it(live: LiveServer) -> None:
    response = await post(live, "bai-1", "Bài viết hay.")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    comment_id = response.json()["id"]
    public = await listing(live, "bai-1")
    assert public["comments"] == []
    assert public["count"] == 0
    assert await listed_ids(live, "bai-1", reader=OTHER_READER) == []
    own = await listing(live, "bai-1", reader=READER)
    assert [(c["id"], c["status"]) for c in own["comments"]] == [(comment_id, "pending")]
    assert own["count"] == 0
    assert (await live.summary("bai-1"))["comments"] == 0

    await flush(live.settings)
    assert [c["status"] for c in (await listing(live, "bai-1", reader=READER))["comments"]] == ["pending"]
    await moderate(live.settings, [comment_id], "approved")
    await flush(live.settings)
    public = await listing(live, "bai-1")
    assert [(c["id"], c["status"]) for c in public["comments"]] == [(comment_id, "approved")]
    assert public["count"] == 1
    assert (await live.summary("bai-1"))["comments"] == 1
    assert (await live.vote("bai-1", OTHER_READER, 4)).json()["comments"] == 1


async def test_post_moderated_comment_shows_at_once_and_rejecting_hides_it(live: LiveServer) -> None:
    response = await post(live, "bai-1", "Bài viết hay.", POST_SITE, author="Lan")
    assert response.status_code == 202
    assert response.json()["status"] == "approved"
    comment_id = response.json()["id"]
    public = await listing(live, "bai-1", POST_SITE)
    assert [(c["id"], c["author"], c["status"]) for c in public["comments"]] == [(comment_id, "Lan", "approved")]
    assert public["count"] == 1
    assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 1
    assert (await live.vote("bai-1", READER, 5, site=POST_SITE)).json()["comments"] == 1

    await flush(live.settings)
    await moderate(live.settings, [comment_id], "rejected")
    public = await listing(live, "bai-1", POST_SITE)
    assert public["comments"] == []
    assert public["count"] == 0
    assert await listed_ids(live, "bai-1", POST_SITE, reader=READER) == []
    await flush(live.settings)
    assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 0
    body = (await live.vote("bai-1", OTHER_READER, 3, site=POST_SITE)).json()
    assert (body["comments"], body["count"]) == (0, 2)


# Pages


async def test_pages_follow_next_through_flushed_and_unflushed_comments(live: LiveServer) -> None:
    ids = [await posted_id(live, "bai-1", f"Ý kiến số {number}", POST_SITE) for number in range(7)]
    await flush(live.settings)
    ids += [await posted_id(live, "bai-1", f"Ý kiến số {number}", POST_SITE) for number in range(7, 13)]
    assert stored_statuses(live.settings).keys() == set(ids[:7])  # the last 6 wait in Redis
    paged, counts = await all_pages(live, "bai-1", POST_SITE, limit=5)
    assert paged == sorted(ids, reverse=True)
    assert len(set(paged)) == 13
    assert counts == {13}
    assert (await listing(live, "bai-1", POST_SITE, limit="13"))["next"] is None
    first = await listing(live, "bai-1", POST_SITE, limit="5")
    created = [datetime.fromisoformat(comment["created_at"]) for comment in first["comments"]]
    assert created == sorted(created, reverse=True)


async def test_page_size_defaults_to_twenty(live: LiveServer) -> None:
    for number in range(21):
        await posted_id(live, "bai-1", f"Ý kiến số {number}", POST_SITE)
    page = await listing(live, "bai-1", POST_SITE)
    assert len(page["comments"]) == 20
    assert page["next"] == page["comments"][-1]["id"]
    assert page["count"] == 21


async def test_pages_stay_whole_while_a_flush_runs(live: LiveServer) -> None:
    """Each id exactly once, and the true count, however a page's reads of Redis and of SQLite
    interleave with the flusher moving its comments from one to the other."""
    for round_number in range(50):
        article = f"bai-{round_number}"
        ids = [await posted_id(live, article, f"Ý kiến số {number}", POST_SITE) for number in range(4)]
        flushing = asyncio.create_task(flush(live.settings))
        while not flushing.done():
            paged, counts = await all_pages(live, article, POST_SITE, limit=3)
            assert paged == sorted(ids, reverse=True), f"round {round_number}: {len(paged)} of 4 comments listed"
            assert counts == {4}, f"round {round_number}"
        await flushing


# Plain text in, plain text out


@pytest.mark.parametrize("markup", XSS)
async def test_markup_comes_back_byte_for_byte_as_json(live: LiveServer, markup: str) -> None:
    comment_id = await posted_id(live, "bai-1", markup, POST_SITE, author=markup[:80])
    for moment in ("unflushed", "flushed"):
        response = await live.client.get(comments_url(live, "bai-1", POST_SITE))
        assert response.headers["content-type"] == "application/json", moment
        (comment,) = response.json()["comments"]
        assert comment["id"] == comment_id
        assert comment["body"].encode() == markup.encode(), moment
        assert comment["author"].encode() == markup[:80].encode(), moment
        await flush(live.settings)


async def test_decomposed_vietnamese_comes_back_composed(live: LiveServer) -> None:
    body = "Bài viết rất hay, cảm ơn tác giả!\nMong có thêm phần tiếp theo."
    author = "Nguyễn Thị Hường"
    decomposed_body, decomposed_author = unicodedata.normalize("NFD", body), unicodedata.normalize("NFD", author)
    assert (decomposed_body, decomposed_author) != (body, author)
    comment_id = await posted_id(live, "bai-1", decomposed_body, POST_SITE, author=decomposed_author)
    (comment,) = (await listing(live, "bai-1", POST_SITE))["comments"]
    assert (comment["body"], comment["author"]) == (body, author)
    await flush(live.settings)
    (comment,) = (await listing(live, "bai-1", POST_SITE))["comments"]
    assert (comment["body"], comment["author"]) == (body, author)
    assert stored_comment(live.settings, comment_id) == (author, body)


async def test_comment_without_author_is_anonymous(live: LiveServer) -> None:
    await posted_id(live, "bai-1", "Không tên", POST_SITE)
    await posted_id(live, "bai-1", "Tên trắng", POST_SITE, author="   ")
    comments = (await listing(live, "bai-1", POST_SITE))["comments"]
    assert [comment["author"] for comment in comments] == [None, None]


async def test_created_at_is_iso_8601_utc_to_the_second(live: LiveServer) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    await posted_id(live, "bai-1", "Bài viết hay.", POST_SITE)
    after = datetime.now(UTC)
    (comment,) = (await listing(live, "bai-1", POST_SITE))["comments"]
    created_at = comment["created_at"]
    assert isinstance(created_at, str)
    moment = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= moment <= after
    assert datetime.fromisoformat(created_at).utcoffset() == timedelta(0)
    await flush(live.settings)
    assert (await listing(live, "bai-1", POST_SITE))["comments"][0]["created_at"] == created_at


# Redis outages


async def test_comment_posted_while_redis_is_down_is_accepted_and_listed(
    settings: Settings, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    await save_site(settings, POST_SITE, "post")
    async with serve(settings) as live:
        before_outage = await posted_id(live, "bai-1", "Trước khi Redis ngừng", POST_SITE)
        await flush(settings)
        redis.stop()
        response = await post(live, "bai-1", "Trong lúc Redis ngừng", POST_SITE)
        assert response.status_code == 202
        assert response.json()["status"] == "approved"
        during_outage = response.json()["id"]
        listed = await listing(live, "bai-1", POST_SITE)
        assert [c["id"] for c in listed["comments"]] == [during_outage, before_outage]
        assert listed["count"] == 2
        assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 2
        redis.start()  # back, and empty
        await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
        assert await listed_ids(live, "bai-1", POST_SITE) == [during_outage, before_outage]
        assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 2
        assert stored_statuses(settings) == {before_outage: "approved", during_outage: "approved"}


async def test_moderation_counts_approved_comments_again_without_dropping_the_article(
    live: LiveServer,
) -> None:
    """Only the count of approved comments changed: it is set again in place, so that it is
    right after the next flush however busy the article (whose copy could not be dropped)."""
    first = await posted_id(live, "bai-1", "Hay", POST_SITE)
    await posted_id(live, "bai-1", "Rất hay", POST_SITE)
    await flush(live.settings)
    await posted_id(live, "bai-1", "Tuyệt", POST_SITE)  # still only in Redis
    async with await Archive.open(live.settings.database_path) as archive:
        await archive.comments.moderate([first], "rejected")
    await flush(live.settings)
    location = KeyLayout(1).locate(POST_SITE, "bai-1")
    assert SyncRedis.from_url(live.settings.redis_url).exists(location.key) == 1  # not dropped
    assert (await live.summary("bai-1", site=POST_SITE))["comments"] == 2
    assert (await listing(live, "bai-1", POST_SITE))["count"] == 2
    with sqlite3.connect(live.settings.database_path) as db:
        assert db.execute("SELECT count(*) FROM stale_articles").fetchone() == (0,)
