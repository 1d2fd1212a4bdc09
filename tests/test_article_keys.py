"""Articles' integer keys: the event log (migration 14), each reader's vote and each article-day
(migration 15) name their article by a key from `article_keys` instead of repeating the site
and article text in every row, and an archive made before them reads the same once migrated."""

from __future__ import annotations

import sqlite3
from typing import Any

from feedback.archive import Archive, FlushPosition, SuspectGroup
from feedback.models import VoteChange, VoteEvent
from feedback.settings import Settings
from tests.support import (
    SITE,
    add_site,
    event_log_before_article_keys,
    flush_random_votes,
    tables_before_votes_by_key,
)

CLUSTER = "c0ffee0001"
ARTICLES = ("bai-1", "bai-2", "bai-3")
EVERYTHING = (0, 10**15)


def logged_events(database: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT e.id, k.site, k.article, e.reader, e.old_score, e.new_score, e.at, e.suspect, e.review "
            "FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key ORDER BY e.id"
        ).fetchall()


async def what_editors_read(archive: Archive) -> tuple[object, ...]:
    """Everything the dashboard reads from the event log: exports, each article's history,
    the suspect votes awaiting review."""
    exported = [row async for row in archive.exports.events(SITE, *EVERYTHING)]
    history = [await archive.trends.vote_history(SITE, article, EVERYTHING[1], 1000) for article in ARTICLES]
    return exported, history, await archive.suspects.page(SITE, 100, 0)


async def flushed_with_one_group_decided(archive: Archive, seed: int, count: int, accept: bool) -> SuspectGroup:
    """Flush seeded random votes, a quarter of their readers suspect, and decide the first group
    of suspect votes awaiting review (the rest are left for after a migration); that group."""
    await flush_random_votes(archive, seed, count, suspect_every=4, cluster=CLUSTER)
    (group, *_) = (await archive.suspects.page(SITE, 100, 0)).groups
    await archive.suspects.decide(SITE, accept, [(group.day, group.article)], [])
    return group


async def test_the_migration_to_article_keys_keeps_the_event_log_and_what_editors_read(settings: Settings) -> None:
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        decided_before = await flushed_with_one_group_decided(archive, 14, 200, accept=True)
        read = await what_editors_read(archive)
    logged = logged_events(settings.database_path)
    assert read[2].groups and all(read[1])
    with sqlite3.connect(settings.database_path) as db:
        event_log_before_article_keys(db)
        db.execute("PRAGMA user_version = 13")

    async with await Archive.open(settings.database_path) as archive:
        assert logged_events(settings.database_path) == logged
        assert await what_editors_read(archive) == read
        # Decisions after it find the events of the votes they decide on.
        decided = await archive.suspects.decide(SITE, True, [], [CLUSTER])
        assert decided.votes == read[2].total_votes > 0
        accepted = [row for row in logged_events(settings.database_path) if row[8] == "accepted"]
        assert {row[2] for row in accepted} == set(decided.articles) | {decided_before.article}
        assert all(not row[7] for row in accepted)
    with sqlite3.connect(settings.database_path) as db:
        columns = [name for (_, name, *_) in db.execute("PRAGMA table_info(vote_events)")]
        assert "site" not in columns and "article" not in columns
        assert db.execute("SELECT site, article FROM article_keys ORDER BY id").fetchall() == [
            (SITE, article) for article in ARTICLES
        ]


async def what_editors_and_readers_see(archive: Archive) -> tuple[object, ...]:
    """Everything read from votes, days and article totals: the articles list and figures, each
    article's histograms, days, state for Redis and ratings export, rankings, suspects."""
    articles = [
        (
            await archive.votes.histogram(SITE, article),
            await archive.article_list.histogram(SITE, article),
            await archive.trends.article_days(SITE, article, 0, 10**6),
            await archive.snapshots.article_state(SITE, article, 0),
            await archive.votes.reader_score(SITE, article, "reader-0000000000000003"),
        )
        for article in ARTICLES
    ]
    rankings = [await archive.trends.rankings(SITE, 20_004 - days + 1, 20_004, 3) for days in (1, 3, 6)]
    return (
        articles,
        rankings,
        await archive.article_list.page(SITE, "", "ranked", 10, 0),
        await archive.reports.site_figures(SITE),
        [row async for row in archive.exports.ratings(SITE, *EVERYTHING)],
        await archive.suspects.page(SITE, 100, 0),
        await archive.suspects.awaiting(SITE),
    )


async def test_the_migration_to_votes_and_days_by_key_keeps_what_everyone_reads(settings: Settings) -> None:
    await add_site(settings)
    async with await Archive.open(settings.database_path) as archive:
        await flushed_with_one_group_decided(archive, 15, 300, accept=False)
        read = await what_editors_and_readers_see(archive)
    assert read[1][2].best and any(ranking.movers for ranking in read[1]) and read[5].groups and read[6] > 0
    with sqlite3.connect(settings.database_path) as db:
        tables_before_votes_by_key(db)
        db.execute("PRAGMA user_version = 14")
        stored = db.execute("SELECT * FROM votes ORDER BY site, article, reader").fetchall()

    async with await Archive.open(settings.database_path) as archive:
        assert await what_editors_and_readers_see(archive) == read
        with sqlite3.connect(settings.database_path) as db:
            assert db.execute("SELECT * FROM votes ORDER BY site, article, reader").fetchall() == stored
        # Flushes and decisions after it keep the figures equal to the events.
        await flush_random_votes(archive, 16, 60, suspect_every=4, first_version=1_000, position="2-0", cluster=CLUSTER)
        decided = await archive.suspects.decide(SITE, True, [], [CLUSTER])
        assert decided.votes > 0
        assert await archive.suspects.awaiting(SITE) == 0
        for article in ARTICLES:
            assert await archive.votes.histogram(SITE, article) == await archive.article_list.histogram(SITE, article)
    with sqlite3.connect(settings.database_path) as db:
        for table in ("votes_by_key", "daily_votes_by_key"):
            columns = [name for (_, name, *_) in db.execute(f"PRAGMA table_info({table})")]
            assert "site" not in columns and "article" not in columns and "article_key" in columns
        assert (
            db.execute(
                "SELECT count(*) FROM article_votes AS a JOIN article_keys AS k ON k.id = a.article_key "
                "AND k.site = a.site AND k.article = a.article"
            ).fetchone()
            == db.execute("SELECT count(*) FROM article_votes").fetchone()
            != (0,)
        )


async def test_an_article_keeps_its_key_and_a_new_one_gets_the_next(settings: Settings) -> None:
    await add_site(settings)

    def vote(article: str, reader: int, version: int) -> VoteEvent:
        return VoteEvent(VoteChange(SITE, article, f"reader-{reader:016d}", 4), version, version)

    async with await Archive.open(settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "1-0"), [vote("bai-1", 1, 1), vote("bai-2", 1, 2)], [])
        # A replayed chunk, and a chunk naming a known article beside a new one.
        await archive.flush.apply(0, FlushPosition("epoch", "1-0"), [vote("bai-1", 1, 1), vote("bai-2", 1, 2)], [])
        await archive.flush.apply(0, FlushPosition("epoch", "2-0"), [vote("bai-3", 2, 3), vote("bai-1", 2, 4)], [])
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT id, article FROM article_keys ORDER BY id").fetchall() == [
            (1, "bai-1"),
            (2, "bai-2"),
            (3, "bai-3"),
        ]
        assert db.execute("SELECT article_key, reader FROM vote_events ORDER BY id").fetchall() == [
            (1, "reader-0000000000000001"),
            (2, "reader-0000000000000001"),
            (3, "reader-0000000000000002"),
            (1, "reader-0000000000000002"),
        ]


async def test_a_vote_stored_for_an_article_without_a_key_still_wins_over_older_events(settings: Settings) -> None:
    """A withdrawal with nothing to withdraw stores a vote (its version must win over older
    events) but logs no event: migrated, its article gets a key with its vote, which the next
    flush of it must still read."""
    await add_site(settings)
    reader = "reader-0000000000000001"
    async with await Archive.open(settings.database_path) as archive:
        await archive.flush.apply(
            0, FlushPosition("epoch", "1-0"), [VoteEvent(VoteChange(SITE, "bai-9", reader, None), 5, 5)], []
        )
    with sqlite3.connect(settings.database_path) as db:
        event_log_before_article_keys(db)
        db.execute("PRAGMA user_version = 13")
    async with await Archive.open(settings.database_path) as archive:
        late = VoteEvent(VoteChange(SITE, "bai-9", reader, 3), 4, 4)  # older than the withdrawal
        await archive.flush.apply(0, FlushPosition("epoch", "2-0"), [late], [])
        assert await archive.votes.reader_score(SITE, "bai-9", reader) is None
    assert logged_events(settings.database_path) == []
