"""Per-article totals (`article_votes`) and per-site days (`site_days`): kept in the flush's own
transaction beside `daily_votes`, so that they always equal the `votes` table's histograms and
the sums of the article-days, through replays, withdrawals, suspect votes and new time zones,
and carried over from an archive made before they existed."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import replace

from feedback.archive import Archive, FlushPosition
from feedback.archive.migrations import all_migrations
from feedback.local_days import local_day
from feedback.models import Histogram, VoteChange, VoteEvent
from feedback.settings import Settings
from tests.support import SITE, add_site, flush_random_votes, random_vote_events

DAY_MS = 86_400_000
ARTICLES = ("bai-1", "bai-2", "bai-3")


def counted_histograms(database: str) -> dict[str, Histogram]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT article, score, count(*) FROM votes WHERE score IS NOT NULL AND NOT suspect GROUP BY article, score"
        ).fetchall()
    counts: dict[str, Counter[int]] = {article: Counter() for article in ARTICLES}
    for article, score, votes in rows:
        counts[article][score] = votes
    return {article: (c[1], c[2], c[3], c[4], c[5]) for article, c in counts.items()}


async def assert_totals_match(archive: Archive, database: str) -> None:
    histograms = counted_histograms(database)
    for article, histogram in histograms.items():
        assert await archive.article_list.histogram(SITE, article) == histogram
    votes = sum(sum(histogram) for histogram in histograms.values())
    points = sum(score * count for histogram in histograms.values() for score, count in enumerate(histogram, 1))
    figures = await archive.reports.site_figures(SITE)
    assert (figures.votes, figures.average) == (votes, points / votes if votes else None)
    assert figures.articles == sum(1 for histogram in histograms.values() if any(histogram))
    summed: dict[int, list[int]] = {}
    for article in ARTICLES:
        for day in await archive.trends.article_days(SITE, article, 0, 10**6):
            sums = summed.setdefault(day.day, [0] * 11)
            for index, count in enumerate((*day.given, *day.deltas, day.changes)):
                sums[index] += count
    site_days = await archive.trends.site_days(SITE, 0, 10**6)
    assert {day.day: [*day.given, *day.deltas, day.changes] for day in site_days} == summed


async def test_totals_and_site_days_match_the_votes_through_replays_and_withdrawals(settings: Settings) -> None:
    await add_site(settings)
    rng = random.Random(14)
    async with await Archive.open(settings.database_path) as archive:
        for chunk in range(6):
            events = random_vote_events(rng, 40, first_version=chunk * 100, suspect_every=10)
            for _ in range(2 if chunk % 2 else 1):  # every other chunk replayed: it adds nothing
                await archive.flush.apply(0, FlushPosition("epoch", f"{chunk}-0"), events, [])
            await assert_totals_match(archive, settings.database_path)


async def test_a_new_time_zone_re_sums_the_site_days(settings: Settings) -> None:
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        await flush_random_votes(archive, 3, 80, suspect_every=10)
        site = await archive.sites.get(SITE)
        assert site is not None
        before = await archive.trends.site_days(SITE, 0, 10**6)
        await archive.sites.save(replace(site, time_zone="America/Los_Angeles"))
        after = await archive.trends.site_days(SITE, 0, 10**6)
        await assert_totals_match(archive, settings.database_path)
    assert sum(day.changes for day in before) == sum(day.changes for day in after)
    assert [day.given for day in before] != [day.given for day in after]  # 14 hours apart, days moved


async def test_the_last_activity_is_the_last_change_of_a_counted_vote(settings: Settings) -> None:
    events = [
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", 4), version=1, at_ms=1_000),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000002", 2, suspect=True), version=2, at_ms=3_000),
        VoteEvent(VoteChange(SITE, "bai-1", "reader-0000000000000001", None), version=3, at_ms=2_000),
    ]
    async with await Archive.open(settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "1-0"), events, [])
        rows, matching = await archive.article_list.page(SITE, "", "last", 10, 0)
    assert (rows, matching) == ([], 0)  # withdrawn: no longer rated
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT last_at FROM article_votes").fetchall() == [(2_000,)]


async def test_the_migration_carries_over_an_archive_made_before_it(settings: Settings) -> None:
    """An archive at version 9 (as the flusher before migration 10 leaves it) gets totals and
    site days that match its votes, and later flushes keep them."""
    with sqlite3.connect(settings.database_path) as db:
        db.create_function("local_day", 2, local_day, deterministic=True)
        for migration in all_migrations():
            if migration.version <= 9:
                for statement in migration.statements:
                    db.execute(statement)
        db.execute("PRAGMA user_version = 9")
        db.execute("INSERT INTO sites (id, origins, created_at) VALUES (?, '[]', 0)", (SITE,))
        rows = [
            ("bai-1", "r1", None, 3, DAY_MS * 5, 0),
            ("bai-1", "r1", 3, 4, DAY_MS * 5 + 1, 0),
            ("bai-1", "r2", None, 1, DAY_MS * 6, 0),
            ("bai-2", "r2", None, 2, DAY_MS * 6 + 7, 0),
            ("bai-2", "r2", 2, None, DAY_MS * 7, 0),
            ("bai-2", "r3", None, 5, DAY_MS * 8, 1),
        ]
        db.executemany(
            "INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(SITE, *row) for row in rows],
        )
        db.executemany(
            "INSERT INTO votes (site, article, reader, score, version, updated_at, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (SITE, "bai-1", "r1", 4, 2, DAY_MS * 5 + 1, 0),
                (SITE, "bai-1", "r2", 1, 3, DAY_MS * 6, 0),
                (SITE, "bai-2", "r2", None, 5, DAY_MS * 7, 0),
                (SITE, "bai-2", "r3", 5, 6, DAY_MS * 8, 1),
            ],
        )
        # The per-day aggregates as they were: migration 6 sums the events it finds.
        db.execute("DELETE FROM daily_votes")
        for statement in next(m for m in all_migrations() if m.version == 6).statements[-1:]:
            db.execute(statement)
    async with await Archive.open(settings.database_path) as archive:
        assert await archive.article_list.histogram(SITE, "bai-1") == (1, 0, 0, 1, 0)
        assert await archive.article_list.histogram(SITE, "bai-2") == (0, 0, 0, 0, 0)
        assert (await archive.reports.site_figures(SITE)).votes == 2
        rows_before, _ = await archive.article_list.page(SITE, "", "ranked", 10, 0)
        assert [(row.article, row.last_activity_ms) for row in rows_before] == [("bai-1", DAY_MS * 6)]
        more = [VoteEvent(VoteChange(SITE, "bai-2", "r2", 3), version=7, at_ms=DAY_MS * 9)]
        await archive.flush.apply(0, FlushPosition("epoch", "1-0"), more, [])
        assert await archive.article_list.histogram(SITE, "bai-2") == (0, 0, 1, 0, 0)
        articles_now = ("bai-1", "bai-2")
        site_days = {day.day: day.deltas for day in await archive.trends.site_days(SITE, 0, 100)}
        article_sums: dict[int, list[int]] = {}
        for article in articles_now:
            for day in await archive.trends.article_days(SITE, article, 0, 100):
                sums = article_sums.setdefault(day.day, [0] * 5)
                for index, delta in enumerate(day.deltas):
                    sums[index] += delta
        assert {day: list(deltas) for day, deltas in site_days.items()} == article_sums
