"""Per-day aggregates of counted votes: kept in the flush's own transaction, so that summed over
the days they are always the article's histogram, through replays, outages and suspect votes."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import date

from feedback.archive import Archive, FlushPosition
from feedback.archive.migrations import m0001_initial, m0002_comments, m0003_articles_and_scale
from feedback.local_days import day_of
from feedback.models import VoteChange, VoteEvent
from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import SITE, add_site, flush, serve, with_redis

DAY_MS = 86_400_000


async def summed_days(settings: Settings, article: str) -> tuple[int, ...]:
    async with await Archive.open(settings.database_path) as archive:
        days = await archive.trends.article_days(SITE, article, 0, 10**9)
    return tuple(sum(day.deltas[score] for day in days) for score in range(5))


async def test_summed_days_are_the_histogram_through_flushes_and_an_outage(
    settings: Settings, own_redis: OwnRedis
) -> None:
    redis = own_redis(appendonly=True)
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    rng = random.Random(7)
    async with serve(settings) as live:
        for round_ in range(4):
            if round_ == 2:
                redis.stop()  # votes go straight to SQLite for a while
            for _ in range(40):
                reader = f"reader-{rng.randrange(12):016d}"
                if rng.random() < 0.2:
                    await live.withdraw("bai-1", reader)
                else:
                    await live.vote("bai-1", reader, rng.randint(1, 5))
            if round_ == 2:
                redis.start()
            await flush(settings)
        summary = await live.summary("bai-1")
    redis.stop()
    histogram = summary["histogram"]
    assert isinstance(histogram, dict)
    assert await summed_days(settings, "bai-1") == tuple(histogram[str(score)] for score in range(1, 6))


async def test_a_replayed_chunk_adds_nothing_and_suspect_votes_count_nowhere(settings: Settings) -> None:
    events = [
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", 2), version=10, at_ms=1 * DAY_MS + 5),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", 5), version=11, at_ms=2 * DAY_MS + 5),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000002", 4, suspect=True), version=12, at_ms=2 * DAY_MS),
    ]
    async with await Archive.open(settings.database_path) as archive:
        for _ in range(3):
            await archive.flush.apply(0, FlushPosition("epoch", "2-0"), events, [])
        days = await archive.trends.article_days(SITE, "bai-1", 0, 10)
    assert [(day.day, day.deltas, day.changes) for day in days] == [(1, (0, 1, 0, 0, 0), 1), (2, (0, -1, 0, 0, 1), 1)]


async def test_the_migration_sums_the_events_an_archive_already_has(settings: Settings) -> None:
    with sqlite3.connect(settings.database_path) as db:
        for migration in (m0001_initial, m0002_comments, m0003_articles_and_scale):
            for statement in migration.STATEMENTS:
                db.execute(statement)
        db.execute("PRAGMA user_version = 3")
        db.executemany(
            "INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (SITE, "bai-1", "r1", None, 3, DAY_MS * 5, 0),
                (SITE, "bai-1", "r1", 3, 4, DAY_MS * 5 + 1, 0),
                (SITE, "bai-1", "r2", None, 1, DAY_MS * 6, 0),
                (SITE, "bai-1", "r3", None, 5, DAY_MS * 6, 1),
            ],
        )
    async with await Archive.open(settings.database_path) as archive:
        days = await archive.trends.article_days(SITE, "bai-1", 0, 10)
    assert [(day.day, day.deltas, day.changes) for day in days] == [(5, (0, 0, 0, 1, 0), 2), (6, (1, 0, 0, 0, 0), 1)]


async def test_days_are_the_sites_local_days_and_a_new_time_zone_re_sums_them(settings: Settings) -> None:
    hour, day = 3_600_000, day_of(date(2026, 12, 1))
    # 16:00 UTC on 1 December is 23:00 that day in Asia/Ho_Chi_Minh (UTC+7, the default), 18:00 is the 2nd.
    events = [
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", 4), version=1, at_ms=day * DAY_MS + 16 * hour),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000002", 2), version=2, at_ms=day * DAY_MS + 18 * hour),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", 5), version=3, at_ms=day * DAY_MS + 19 * hour),
    ]
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "3-0"), events, [])
        local = await archive.trends.article_days(SITE, "bai-1", day, day + 1)
        site = await archive.sites.get(SITE)
        assert site is not None and site.time_zone == "Asia/Ho_Chi_Minh"
        await archive.sites.save(replace(site, time_zone="UTC"))
        utc = await archive.trends.article_days(SITE, "bai-1", day, day + 1)
    assert [(day.day, day.given, day.deltas, day.changes) for day in local] == [
        (day, (0, 0, 0, 1, 0), (0, 0, 0, 1, 0), 1),
        (day + 1, (0, 1, 0, 0, 1), (0, 1, 0, -1, 1), 2),
    ]
    assert [(day.day, day.given, day.deltas, day.changes) for day in utc] == [
        (day, (0, 1, 0, 1, 1), (0, 1, 0, 0, 1), 3)
    ]
