"""Suspect votes under review: their cluster labels from Redis into SQLite, the review list, and
what accepting or discarding them does to the votes, the event log, the per-day aggregates and
the public summaries."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from ipaddress import ip_network

import pytest

from feedback.archive import Archive, FlushPosition
from feedback.archive.migrations import (
    m0001_initial,
    m0002_comments,
    m0003_articles_and_scale,
    m0004_users,
    m0005_daily_votes,
    m0006_local_days,
)
from feedback.local_days import DAY_MS, local_day
from feedback.models import VoteChange, VoteEvent
from feedback.services.suspects import SuspectReview
from feedback.settings import Settings
from tests.support import SITE, LiveServer, add_site, flush, serve

STUFFER = "198.51.100.7"
OTHER_STUFFER = "198.51.100.8"
ZONE = "Asia/Ho_Chi_Minh"


def reader(number: int) -> str:
    return f"reader-{number:016d}"


@pytest.fixture
async def capped(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server behind a local proxy that counts 1 reader per address per article a day."""
    settings = replace(settings, trusted_proxies=(ip_network("127.0.0.1"),), readers_per_address=1)
    await add_site(settings)
    async with serve(settings) as server:
        yield server


async def vote(live: LiveServer, article: str, voter: str, score: int, address: str) -> None:
    response = await live.client.put(
        f"{live.article_url(article)}/rating",
        json={"score": score, "reader": voter},
        headers={"X-Forwarded-For": address},
    )
    assert response.status_code == 200, response.text


def suspect_event(
    voter: str, score: int | None, version: int, at_ms: int, cluster: str | None = "c0ffee0001"
) -> VoteEvent:
    return VoteEvent(VoteChange(SITE, "bai-1", voter, score, suspect=True), version, at_ms, cluster)


def counted_event(voter: str, score: int | None, version: int, at_ms: int) -> VoteEvent:
    return VoteEvent(VoteChange(SITE, "bai-1", voter, score), version, at_ms)


async def apply(archive: Archive, *events: VoteEvent) -> None:
    await archive.flush.apply(0, FlushPosition("epoch", f"{events[-1].version}-0"), list(events), [])


async def summed_days(archive: Archive, article: str = "bai-1") -> tuple[int, ...]:
    """The article's histogram summed from its days; its per-article totals and its site's days
    must have followed every decision too."""
    days = await archive.trends.article_days(SITE, article, 0, 10**9)
    summed = tuple(sum(day.deltas[score] for day in days) for score in range(5))
    assert await archive.article_list.histogram(SITE, article) == summed
    site_days = await archive.trends.site_days(SITE, 0, 10**9)
    assert [(day.day, day.given) for day in site_days] == [(day.day, day.given) for day in days]
    return summed


def rows(settings: Settings, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(settings.database_path) as db:
        return db.execute(sql, parameters).fetchall()


def day_of_ms(at_ms: int) -> int:
    return local_day(ZONE, at_ms)


# The archive


async def test_a_votes_label_stays_when_a_later_flush_changes_it_unlabelled(site_settings: Settings) -> None:
    """The label stored with a vote outlives a change flushed after it that carries none; a vote
    never labelled has no label (NULL), not an empty one."""
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(
            archive, suspect_event(reader(2), 5, 2, DAY_MS), suspect_event(reader(3), 4, 3, DAY_MS, cluster=None)
        )
        await apply(archive, suspect_event(reader(2), 3, 4, DAY_MS + 1, cluster=None))
        page = await archive.suspects.page(SITE, 10, 0)
        assert [(g.votes, g.clusters) for g in page.groups] == [(2, ("c0ffee0001",))]
    with sqlite3.connect(site_settings.database_path) as db:
        assert db.execute("SELECT reader, score, cluster FROM votes ORDER BY reader").fetchall() == [
            (reader(2), 3, "c0ffee0001"),
            (reader(3), 4, None),
        ]


async def test_accepted_votes_count_on_the_days_they_were_given(site_settings: Settings) -> None:
    first, second = 20_000 * DAY_MS, 20_002 * DAY_MS
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(
            archive,
            counted_event(reader(1), 4, 1, first),
            suspect_event(reader(2), 5, 2, first),
            suspect_event(reader(2), 2, 3, second, cluster=None),  # a change: no new label
        )
        assert await summed_days(archive) == (0, 0, 0, 1, 0)
        page = await archive.suspects.page(SITE, 10, 0)
        assert [(g.day, g.article, g.votes, g.clusters) for g in page.groups] == [
            (day_of_ms(second), "bai-1", 1, ("c0ffee0001",))
        ]
        decided = await archive.suspects.decide(SITE, True, [(day_of_ms(second), "bai-1")], [])
        assert (decided.votes, decided.articles) == (1, ["bai-1"])
        assert await archive.votes.histogram(SITE, "bai-1") == (0, 1, 0, 1, 0)
        assert await summed_days(archive) == (0, 1, 0, 1, 0)
        days = await archive.trends.article_days(SITE, "bai-1", 0, 10**9)
        assert [(day.day, day.given, day.deltas) for day in days] == [
            (day_of_ms(first), (0, 0, 0, 1, 1), (0, 0, 0, 1, 1)),
            (day_of_ms(second), (0, 1, 0, 0, 0), (0, 1, 0, 0, -1)),
        ]
        assert (await archive.suspects.page(SITE, 10, 0)).groups == []
        assert [(s.article, s.votes_changed) for s in await archive.stale.all()] == [("bai-1", True)]
    assert rows(site_settings, "SELECT new_score, suspect, review FROM vote_events WHERE reader = ?", reader(2)) == [
        (5, 0, "accepted"),
        (2, 0, "accepted"),
    ]


async def test_a_time_zone_change_re_sums_accepted_votes_too(site_settings: Settings) -> None:
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(archive, counted_event(reader(1), 4, 1, 5 * DAY_MS), suspect_event(reader(2), 3, 2, 6 * DAY_MS))
        await archive.suspects.decide(SITE, True, [], ["c0ffee0001"])
        site = await archive.sites.get(SITE)
        assert site is not None
        await archive.sites.save(replace(site, time_zone="UTC"))
        assert await summed_days(archive) == (0, 0, 1, 1, 0) == await archive.votes.histogram(SITE, "bai-1")


async def test_only_the_events_of_the_current_score_are_accepted(site_settings: Settings) -> None:
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(
            archive,
            suspect_event(reader(2), 1, 1, 5 * DAY_MS),
            suspect_event(reader(2), None, 2, 5 * DAY_MS + 1),  # withdrawn: never under review
            suspect_event(reader(2), 5, 3, 7 * DAY_MS),
        )
        await archive.suspects.decide(SITE, True, [], ["c0ffee0001"])
        days = await archive.trends.article_days(SITE, "bai-1", 0, 10**9)
    assert [(day.given, day.deltas) for day in days] == [((0, 0, 0, 0, 1), (0, 0, 0, 0, 1))]
    assert rows(site_settings, "SELECT new_score, suspect, review FROM vote_events ORDER BY id") == [
        (1, 1, None),
        (None, 1, None),
        (5, 0, "accepted"),
    ]


async def test_a_counted_score_between_two_suspect_ones_is_left_as_it_was(site_settings: Settings) -> None:
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(
            archive,
            suspect_event(reader(2), 3, 1, 5 * DAY_MS),
            suspect_event(reader(2), None, 2, 5 * DAY_MS + 1),
            counted_event(reader(2), 4, 3, 6 * DAY_MS),  # a new day: the cap counted it
            counted_event(reader(2), None, 4, 6 * DAY_MS + 1),
            suspect_event(reader(2), 2, 5, 7 * DAY_MS),
        )
        await archive.suspects.decide(SITE, True, [], ["c0ffee0001"])
        assert await summed_days(archive) == (0, 1, 0, 0, 0) == await archive.votes.histogram(SITE, "bai-1")
    assert rows(site_settings, "SELECT new_score, suspect, review FROM vote_events ORDER BY id") == [
        (3, 1, None),
        (None, 1, None),
        (4, 0, None),
        (None, 0, None),
        (2, 0, "accepted"),
    ]


async def test_discarded_votes_stay_uncounted_leave_the_list_and_are_marked_in_the_log(
    site_settings: Settings,
) -> None:
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(archive, suspect_event(reader(2), 3, 1, 5 * DAY_MS), suspect_event(reader(3), 4, 2, 5 * DAY_MS))
        decided = await archive.suspects.decide(SITE, False, [], ["c0ffee0001"])
        assert decided.votes == 2
        assert (await archive.suspects.page(SITE, 10, 0)).total_votes == 0
        assert await archive.votes.histogram(SITE, "bai-1") == (0, 0, 0, 0, 0)
        assert await archive.stale.all() == []  # Redis counts them no more than before
        # a discarded reader changing their vote stays discarded, and so does the new event
        await apply(archive, suspect_event(reader(2), 1, 3, 6 * DAY_MS, cluster=None))
        assert (await archive.suspects.page(SITE, 10, 0)).total_votes == 0
    assert rows(site_settings, "SELECT new_score, suspect, review FROM vote_events ORDER BY id") == [
        (3, 1, "discarded"),
        (4, 1, "discarded"),
        (1, 1, "discarded"),
    ]


async def test_a_decision_touches_only_its_sites_votes(site_settings: Settings) -> None:
    await add_site(site_settings, "bao-khac")
    other = VoteEvent(VoteChange("bao-khac", "bai-1", reader(2), 3, suspect=True), 2, 5 * DAY_MS, "c0ffee0001")
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(archive, suspect_event(reader(2), 3, 1, 5 * DAY_MS), other)
        assert (await archive.suspects.decide(SITE, True, [], ["c0ffee0001"])).votes == 1
        assert (await archive.suspects.page("bao-khac", 10, 0)).total_votes == 1


async def test_a_suspect_change_of_an_accepted_vote_stays_counted_until_a_withdrawal(
    site_settings: Settings,
) -> None:
    """Redis's copy of an accepted vote stays suspect until the flusher drops it: the changes
    it sends meanwhile keep the vote counted, but a vote given again after a withdrawal was
    decided by the cap anew."""
    async with await Archive.open(site_settings.database_path) as archive:
        await apply(archive, suspect_event(reader(2), 3, 1, 5 * DAY_MS))
        await archive.suspects.decide(SITE, True, [], ["c0ffee0001"])
        await apply(archive, suspect_event(reader(2), 4, 2, 5 * DAY_MS + 1, cluster=None))
        assert await archive.votes.histogram(SITE, "bai-1") == (0, 0, 0, 1, 0) == await summed_days(archive)
        await apply(
            archive,
            suspect_event(reader(2), None, 3, 5 * DAY_MS + 2, cluster=None),
            suspect_event(reader(2), 2, 4, 5 * DAY_MS + 3),
        )
        assert await archive.votes.histogram(SITE, "bai-1") == (0, 0, 0, 0, 0) == await summed_days(archive)
        assert (await archive.suspects.page(SITE, 10, 0)).total_votes == 1  # to be reviewed again


async def test_the_migration_keeps_an_archive_made_before_it(settings: Settings) -> None:
    with sqlite3.connect(settings.database_path) as db:
        db.create_function("local_day", 2, local_day, deterministic=True)
        for migration in (m0001_initial, m0002_comments, m0003_articles_and_scale, m0004_users):
            for statement in migration.STATEMENTS:
                db.execute(statement)
        for migration in (m0005_daily_votes, m0006_local_days):
            for statement in migration.STATEMENTS:
                db.execute(statement)
        db.execute("PRAGMA user_version = 6")
        db.execute("INSERT INTO sites (id, origins, created_at) VALUES (?, '[]', 0)", (SITE,))
        db.executemany(
            "INSERT INTO votes (site, article, reader, score, version, updated_at, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(SITE, "bai-1", "r1", 4, 1, 5 * DAY_MS, 0), (SITE, "bai-1", "r2", 2, 2, 5 * DAY_MS, 1)],
        )
        db.executemany(
            "INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(SITE, "bai-1", "r1", None, 4, 5 * DAY_MS, 0), (SITE, "bai-1", "r2", None, 2, 5 * DAY_MS, 1)],
        )
        db.execute(
            "INSERT INTO daily_votes VALUES (?, ?, 'bai-1', 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1)",
            (SITE, day_of_ms(5 * DAY_MS)),
        )
    async with await Archive.open(settings.database_path) as archive:
        page = await archive.suspects.page(SITE, 10, 0)
        assert [(g.article, g.votes, g.clusters) for g in page.groups] == [("bai-1", 1, ())]
        assert (await archive.suspects.decide(SITE, True, [(page.groups[0].day, "bai-1")], [])).votes == 1
        assert await summed_days(archive) == (0, 1, 0, 1, 0) == await archive.votes.histogram(SITE, "bai-1")
    assert ("review",) in rows(settings, "SELECT name FROM pragma_table_info('vote_events')")


# Through Redis


async def test_the_cap_labels_each_address_as_a_cluster_in_the_review(capped: LiveServer) -> None:
    for number, address in ((1, STUFFER), (2, STUFFER), (3, STUFFER), (4, OTHER_STUFFER), (5, OTHER_STUFFER)):
        await vote(capped, "bai-1", reader(number), 5, address)
    await vote(capped, "bai-2", reader(3), 1, STUFFER)  # the first reader of bai-2: counted
    await vote(capped, "bai-2", reader(6), 1, STUFFER)
    await flush(capped.settings)
    async with await Archive.open(capped.settings.database_path) as archive:
        page = await SuspectReview(archive).page(SITE, 1, 20)
    assert (page.total_groups, page.total_votes) == (2, 4)
    assert sorted((g.article, g.votes, len(g.clusters)) for g in page.groups) == [("bai-1", 3, 2), ("bai-2", 1, 1)]
    labels = {cluster.label: (cluster.readers, cluster.articles) for cluster in page.clusters}
    assert sorted(labels.values()) == [(1, ("bai-1",)), (3, ("bai-1", "bai-2"))]
    assert all(len(label) == 10 and label not in (STUFFER, OTHER_STUFFER) for label in labels)
    stored = rows(capped.settings, "SELECT cluster FROM votes WHERE suspect")
    assert {label for (label,) in stored} == set(labels)


async def test_accepted_votes_count_once_in_the_public_summary_after_a_flush(capped: LiveServer) -> None:
    for number in range(1, 5):
        await vote(capped, "bai-1", reader(number), number, STUFFER)
    assert (await capped.summary("bai-1"))["count"] == 1
    await flush(capped.settings)
    async with await Archive.open(capped.settings.database_path) as archive:
        review = SuspectReview(archive)
        (group,) = (await review.page(SITE, 1, 20)).groups
        # the race: a suspect reader changes their vote in Redis while the editor accepts
        await vote(capped, "bai-1", reader(4), 5, STUFFER)
        assert await review.decide(SITE, "accept", [(group.day, "bai-1")], [], actor="editor@example.vn") == 3
        await flush(capped.settings)
        summary = await capped.summary("bai-1")
        assert summary["histogram"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 1}
        assert summary["count"] == 4
        assert await archive.votes.histogram(SITE, "bai-1") == (1, 1, 1, 0, 1) == await summed_days(archive)
        # and later changes count as any vote's
        await vote(capped, "bai-1", reader(2), 4, STUFFER)
        assert (await capped.summary("bai-1"))["histogram"] == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1}
        await flush(capped.settings)
        assert await archive.votes.histogram(SITE, "bai-1") == (1, 0, 1, 1, 1) == await summed_days(archive)
        (entry, *_) = await archive.audit.latest(1)
    assert (entry.actor, entry.action, entry.detail["votes"]) == ("editor@example.vn", "suspects.accept", 3)


async def test_a_discarded_vote_stays_out_of_the_public_summary(capped: LiveServer) -> None:
    for number in range(1, 3):
        await vote(capped, "bai-1", reader(number), 5, STUFFER)
    await flush(capped.settings)
    async with await Archive.open(capped.settings.database_path) as archive:
        (cluster,) = (await SuspectReview(archive).page(SITE, 1, 20)).clusters
        assert await SuspectReview(archive).decide(SITE, "discard", [], [cluster.label]) == 1
    await flush(capped.settings)
    assert (await capped.summary("bai-1"))["count"] == 1
    assert rows(capped.settings, "SELECT suspect, review FROM vote_events WHERE reader = ?", reader(2)) == [
        (1, "discarded")
    ]
