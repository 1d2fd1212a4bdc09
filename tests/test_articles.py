"""What pages say of their articles (title and address, kept for editors), and sites whose scale
is "was this helpful?"."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from typing import Any

import pytest
from redis import Redis as SyncRedis

from feedback.archive import Archive
from feedback.archive.migrations import m0001_initial, m0002_comments
from feedback.models import ArticleAbout, Site
from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import ORIGIN, READER, SITE, LiveServer, add_site, flush, serve, with_redis

TITLE = "Nâng cao chất lượng công tác thông tin"
URL = f"{ORIGIN}/tin-tuc/20191411-nang-cao-chat-luong.html?utm_source=x"


async def about(settings: Settings, article: str) -> ArticleAbout | None:
    async with await Archive.open(settings.database_path) as archive:
        return await archive.articles.about(SITE, article)


def rating(score: int, reader: str = READER, **fields: Any) -> dict[str, Any]:
    return {"score": score, "reader": reader, **fields}


async def test_a_votes_title_and_url_reach_the_archive(live: LiveServer) -> None:
    response = await live.client.put(live.article_url("bai-1") + "/rating", json=rating(4, title=TITLE, url=URL))
    assert response.status_code == 200, response.text
    await flush(live.settings)
    assert await about(live.settings, "bai-1") == ArticleAbout(TITLE, URL)


async def test_the_latest_title_wins_and_one_not_given_keeps_the_stored_one(live: LiveServer) -> None:
    path = live.article_url("bai-1") + "/rating"
    await live.client.put(path, json=rating(4, title="Bản nháp", url=URL))
    await live.client.put(path, json=rating(5, reader="reader-0000000000000002", title=f"  {TITLE}  "))
    await live.client.put(path, json=rating(3, reader="reader-0000000000000003"))
    await flush(live.settings)
    assert await about(live.settings, "bai-1") == ArticleAbout(TITLE, URL)


async def test_a_comments_title_and_url_reach_the_archive(live: LiveServer) -> None:
    body = {"reader": READER, "body": "Hay", "title": TITLE, "url": URL}
    response = await live.client.post(live.article_url("bai-2") + "/comments", json=body)
    assert response.status_code == 202, response.text
    await flush(live.settings)
    assert await about(live.settings, "bai-2") == ArticleAbout(TITLE, URL)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "invalid_title"),
        ({"title": "   "}, "invalid_title"),
        ({"title": "x" * 301}, "invalid_title"),
        ({"title": "Tab\there"}, "invalid_title"),
        ({"title": 42}, "invalid_title"),
        ({"url": "https://evil.example/bai-1"}, "invalid_url"),
        ({"url": "javascript:alert(1)"}, "invalid_url"),
        ({"url": f"{ORIGIN}/a\tb"}, "invalid_url"),
        ({"url": f"{ORIGIN}/a b"}, "invalid_url"),
        ({"url": "https://user@news.example.vn/a"}, "invalid_url"),
        ({"url": ["x"]}, "invalid_url"),
    ],
)
async def test_a_bad_title_or_url_is_refused_and_nothing_is_recorded(
    live: LiveServer, fields: dict[str, Any], code: str
) -> None:
    vote = await live.client.put(live.article_url("bai-1") + "/rating", json=rating(4, **fields))
    comment = await live.client.post(
        live.article_url("bai-1") + "/comments", json={"reader": READER, "body": "Hay", **fields}
    )
    for response in (vote, comment):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code
    assert (await live.summary("bai-1"))["count"] == 0
    assert await flush(live.settings) == 0


async def test_a_title_costs_no_second_round_trip_to_redis(live: LiveServer) -> None:
    path = live.article_url("bai-1") + "/rating"
    await live.client.put(path, json=rating(1))  # loads the article
    sent: list[str] = []
    monitoring = threading.Event()

    def watch() -> None:
        with SyncRedis.from_url(live.settings.redis_url) as client, client.monitor() as monitor:
            monitoring.set()
            for command in monitor.listen():
                if command["command"] == "ECHO stop-watching":
                    return
                if command["client_type"] != "lua":  # not a command of a script
                    sent.append(command["command"].split()[0])

    stopper = SyncRedis.from_url(live.settings.redis_url)
    stopper.ping()  # connected before the watch starts, so that the watch sees only the vote
    watcher = threading.Thread(target=watch)
    watcher.start()
    monitoring.wait(5)
    response = await live.client.put(path, json=rating(4, title=TITLE, url=URL))
    stopper.echo("stop-watching")
    watcher.join(5)
    stopper.close()
    assert response.status_code == 200
    assert sent == ["EVALSHA"]


async def test_during_an_outage_title_and_url_go_straight_to_the_archive(
    settings: Settings, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        redis.stop()
        response = await live.client.put(live.article_url("bai-1") + "/rating", json=rating(4, title=TITLE))
        assert response.status_code == 200
        body = {"reader": READER, "body": "Hay", "url": URL}
        assert (await live.client.post(live.article_url("bai-1") + "/comments", json=body)).status_code == 202
    assert await about(settings, "bai-1") == ArticleAbout(TITLE, URL)


async def add_helpful_site(settings: Settings) -> None:
    async with await Archive.open(settings.database_path) as archive:
        await archive.sites.save(Site(SITE, (ORIGIN,), scale="helpful"))


async def test_a_helpful_site_takes_yes_and_no_only(settings: Settings) -> None:
    await add_helpful_site(settings)
    async with serve(settings) as live:
        assert (await live.vote("bai-1", READER, 5)).status_code == 200
        assert (await live.vote("bai-1", "reader-0000000000000002", 1)).status_code == 200
        for score in (2, 3, 4, 0, 6, True):
            response = await live.client.put(live.article_url("bai-1") + "/rating", json=rating(score))  # type: ignore[arg-type]
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "invalid_score"
        summary = await live.summary("bai-1", READER)
    assert summary["scale"] == "helpful"
    assert summary["histogram"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert summary["mine"] == 5


async def test_every_summary_says_its_scale(live: LiveServer) -> None:
    vote = await live.vote("bai-1", READER, 3)
    listed = await live.client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": "bai-1,bai-2"})
    assert vote.json()["scale"] == "stars"
    assert (await live.summary("bai-1"))["scale"] == "stars"
    assert [summary["scale"] for summary in listed.json()["summaries"]] == ["stars", "stars"]


async def test_an_archive_of_the_previous_schema_is_carried_over(settings: Settings) -> None:
    with sqlite3.connect(settings.database_path) as db:
        for statement in (*m0001_initial.STATEMENTS, *m0002_comments.STATEMENTS):
            db.execute(statement)
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO sites (id, origins, moderation, blocked_words, created_at) VALUES (?, ?, 'post', '[]', 1)",
            (SITE, f'["{ORIGIN}"]'),
        )
        db.execute(
            "INSERT INTO votes (site, article, reader, score, version, updated_at) VALUES (?, 'bai-1', ?, 4, 1, 1)",
            (SITE, READER),
        )
    settings = replace(settings, redis_url="")
    async with serve(settings) as live:
        assert (await live.summary("bai-1"))["count"] == 1
    async with await Archive.open(settings.database_path) as archive:
        assert await archive.sites.all() == [Site(SITE, (ORIGIN,), moderation="post", scale="stars")]
        assert await archive.articles.about(SITE, "bai-1") is None
