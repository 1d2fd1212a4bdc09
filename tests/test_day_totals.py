"""Each article-day's `votes` and `points` (migration 11): kept by the flusher beside the given_N
counts, so that they always equal the sums of the day's counted events, through replays,
withdrawals, an accepted suspect vote and a new time zone, and carried over from an archive the
flusher before them made."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import replace

from feedback.archive import Archive, FlushPosition
from feedback.local_days import day_start_ms, local_day
from feedback.models import VoteChange, VoteEvent
from feedback.settings import Settings
from tests.support import SITE, add_site, event_log_before_article_keys, flush_random_votes, random_vote_events

CLUSTER = "c0ffee0001"
ARTICLES = ("bai-1", "bai-2", "bai-3")

DayKey = tuple[int, str]


def summed_events(database: str) -> dict[DayKey, tuple[int, int]]:
    """The votes given and their points per local day and article, from the counted events."""
    votes: Counter[DayKey] = Counter()
    points: Counter[DayKey] = Counter()
    with sqlite3.connect(database) as db:
        (zone,) = db.execute("SELECT time_zone FROM sites WHERE id = ?", (SITE,)).fetchone()
        events = db.execute(
            "SELECT k.article, e.new_score, e.at FROM vote_events AS e "
            "JOIN article_keys AS k ON k.id = e.article_key WHERE NOT e.suspect"
        ).fetchall()
    for article, score, at_ms in events:
        key = (local_day(zone, at_ms), article)
        votes[key] += score is not None
        points[key] += score or 0
    return {key: (votes[key], points[key]) for key in votes}


def stored_totals(database: str) -> dict[DayKey, tuple[int, int]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT day, article, votes, points FROM daily_votes WHERE site = ?", (SITE,)).fetchall()
    return {(day, article): (votes, points) for day, article, votes, points in rows}


def assert_totals_are_the_events(database: str) -> None:
    summed = summed_events(database)
    assert summed
    assert stored_totals(database) == summed


async def test_day_totals_are_the_events_through_replays_and_withdrawals(settings: Settings) -> None:
    await add_site(settings)
    rng = random.Random(11)
    async with await Archive.open(settings.database_path) as archive:
        for chunk in range(6):
            events = random_vote_events(rng, 40, first_version=chunk * 100, suspect_every=5, cluster=CLUSTER)
            for _ in range(2 if chunk % 2 else 1):  # every other chunk replayed: it adds nothing
                await archive.flush.apply(0, FlushPosition("epoch", f"{chunk}-0"), events, [])
            assert_totals_are_the_events(settings.database_path)


async def test_an_accepted_suspect_vote_joins_the_day_totals(settings: Settings) -> None:
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        await flush_random_votes(archive, 5, 80, suspect_every=5, cluster=CLUSTER)
        before = stored_totals(settings.database_path)
        await archive.suspects.decide(SITE, True, [], [CLUSTER])
        assert_totals_are_the_events(settings.database_path)
    assert stored_totals(settings.database_path) != before


async def test_a_new_time_zone_re_sums_the_day_totals(settings: Settings) -> None:
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        await flush_random_votes(archive, 3, 80, suspect_every=5, cluster=CLUSTER)
        before = stored_totals(settings.database_path)
        site = await archive.sites.get(SITE)
        assert site is not None
        await archive.sites.save(replace(site, time_zone="America/Los_Angeles"))
        assert_totals_are_the_events(settings.database_path)
    assert stored_totals(settings.database_path) != before  # 14 hours apart, days moved


async def test_the_migration_sums_an_archive_made_before_it(settings: Settings) -> None:
    """An archive at version 10, as the flusher before migration 11 leaves it (this one's, less
    what migration 11 added), gets day totals equal to its events and the same overview lists,
    and later flushes keep them."""
    await add_site(settings)
    first, last = 20_000, 20_005
    async with await Archive.open(settings.database_path) as archive:
        await flush_random_votes(archive, 9, 120, suspect_every=5, cluster=CLUSTER)
        await archive.suspects.decide(SITE, True, [], [CLUSTER])
        lists = await archive.trends.rankings(SITE, first, last, 2)
        movers = (await archive.trends.rankings(SITE, first + 3, last, 3)).movers
    assert lists.best and lists.worst and movers
    with sqlite3.connect(settings.database_path) as db:
        event_log_before_article_keys(db)
        db.execute("ALTER TABLE daily_votes DROP COLUMN votes")
        db.execute("ALTER TABLE daily_votes DROP COLUMN points")
        db.execute("PRAGMA user_version = 10")
    async with await Archive.open(settings.database_path) as archive:
        assert_totals_are_the_events(settings.database_path)
        assert await archive.trends.rankings(SITE, first, last, 2) == lists
        assert (await archive.trends.rankings(SITE, first + 3, last, 3)).movers == movers
        await flush_random_votes(archive, 10, 40, suspect_every=5, first_version=1_000, position="2-0", cluster=CLUSTER)
        assert_totals_are_the_events(settings.database_path)


async def test_the_migration_to_article_order_keeps_every_figure(settings: Settings) -> None:
    """An archive at version 11 (`daily_votes` keyed by day, an article's totals possibly
    missing) ranks, charts and lists the same once migration 12 keys its days by article, and
    later flushes keep the totals."""
    await add_site(settings)
    last = 20_004  # the events' last day
    async with await Archive.open(settings.database_path) as archive:
        await flush_random_votes(archive, 12, 150, suspect_every=5, cluster=CLUSTER)
        await archive.suspects.decide(SITE, True, [], [CLUSTER])
        rankings = [await archive.trends.rankings(SITE, last - days + 1, last, 3) for days in (1, 2, 3, 6)]
        days = {article: await archive.trends.article_days(SITE, article, 0, 10**6) for article in ARTICLES}
    assert any(ranking.movers for ranking in rankings) and all(days.values())
    with sqlite3.connect(settings.database_path) as db:
        event_log_before_article_keys(db)
        (totals,) = db.execute("SELECT count(*) FROM article_votes").fetchone()
        lost = db.execute("SELECT article, last_at FROM article_votes LIMIT 1").fetchone()
        db.execute("DELETE FROM article_votes WHERE article = ?", (lost[0],))
        declared = [(name, kind) for (_, name, kind, *_) in db.execute("PRAGMA table_info(daily_votes)")]
        columns = ", ".join(name for name, _ in declared)
        definitions = ", ".join(f"{name} {kind} NOT NULL" for name, kind in declared)
        db.execute("ALTER TABLE daily_votes RENAME TO by_article")
        db.execute(f"CREATE TABLE daily_votes ({definitions}, PRIMARY KEY (site, day, article)) WITHOUT ROWID")
        db.execute(f"INSERT INTO daily_votes ({columns}) SELECT {columns} FROM by_article")
        db.execute("DROP TABLE by_article")
        db.execute("CREATE INDEX daily_votes_by_article ON daily_votes (site, article, day)")
        db.execute("PRAGMA user_version = 11")
    async with await Archive.open(settings.database_path) as archive:
        with sqlite3.connect(settings.database_path) as db:
            assert db.execute("SELECT count(*) FROM article_votes").fetchone() == (totals,)
            restored = db.execute("SELECT article, last_at FROM article_votes WHERE article = ?", (lost[0],))
            assert restored.fetchone() == lost
        assert [await archive.trends.rankings(SITE, last - n + 1, last, 3) for n in (1, 2, 3, 6)] == rankings
        for article, article_days in days.items():
            assert await archive.trends.article_days(SITE, article, 0, 10**6) == article_days
        await flush_random_votes(archive, 13, 40, suspect_every=5, first_version=1_000, position="2-0", cluster=CLUSTER)
        assert_totals_are_the_events(settings.database_path)
    with sqlite3.connect(settings.database_path) as db:
        keys = [column for (_, column, *_, pk) in db.execute("PRAGMA table_info(daily_votes_by_key)") if pk]
        assert keys == ["article_key", "day"]


async def test_rankings_count_an_article_last_voted_on_at_the_first_instant_of_the_period(
    settings: Settings,
) -> None:
    """Articles whose last vote came before the period are skipped unread (none can be listed):
    one last voted on at the period's first instant, in the zone whose days begin earliest
    (UTC+14, 14 hours before the UTC day of the same number), is not skipped."""
    await add_site(settings)
    zone, first, last = "Pacific/Kiritimati", 20_010, 20_012
    async with await Archive.open(settings.database_path) as archive:
        site = await archive.sites.get(SITE)
        assert site is not None
        await archive.sites.save(replace(site, time_zone=zone))
        start = day_start_ms(zone, first)
        events = [
            VoteEvent(VoteChange(SITE, "late", "reader-0000000000000001", 1), version=1, at_ms=start - 86_400_000),
            VoteEvent(VoteChange(SITE, "late", "reader-0000000000000002", 5), version=2, at_ms=start),
            VoteEvent(VoteChange(SITE, "gone", "reader-0000000000000003", 3), version=3, at_ms=start - 1),
        ]
        await archive.flush.apply(0, FlushPosition("epoch", "1-0"), events, [])
        rankings = await archive.trends.rankings(SITE, first, last, 5)
    assert [article.article for article in rankings.best] == ["late"]
    assert [(mover.article, mover.votes_before, mover.votes) for mover in rankings.movers] == [("late", 1, 1)]
