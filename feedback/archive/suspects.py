"""Suspect votes awaiting an editor's review, and the two decisions on them: accept (they count
from then on, on the days they were given) or discard (they stay uncounted, marked so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from feedback import json
from feedback.archive.connection import Database
from feedback.archive.stale import mark_stale
from feedback.archive.votes import add_to_days

# The terms of the partial index `votes_awaiting_review` (migrations 8 and 15). Named, for
# without statistics SQLite prefers the primary key, and would read every vote of the site.
_AWAITING = "v.suspect AND v.score IS NOT NULL AND v.review IS NULL"
_DAY = "local_day(s.time_zone, v.updated_at)"
_FROM = (
    "FROM votes_by_key AS v INDEXED BY votes_awaiting_review JOIN article_keys AS k ON k.id = v.article_key "
    "JOIN sites AS s ON s.id = k.site"
)
_OF_SITE = f"{_FROM} WHERE k.site = ? AND {_AWAITING}"

# The events of each deciding vote's current score: its suspect events after its last suspect
# withdrawal (all of that score's events are suspect, and a suspect score before it ended with
# one). Scores withdrawn earlier stay as they were: no decision was asked about them. Read
# through the partial index of suspect events (migration 8).
_CURRENT_EVENTS = """
INSERT INTO deciding_events (id)
SELECT e.id FROM deciding AS d JOIN article_keys AS k ON k.site = ? AND k.article = d.article
JOIN vote_events AS e INDEXED BY vote_events_suspect ON e.article_key = k.id AND e.reader = d.reader AND e.suspect
WHERE e.id > coalesce((
    SELECT max(w.id) FROM vote_events AS w INDEXED BY vote_events_suspect
    WHERE w.article_key = e.article_key AND w.reader = e.reader AND w.suspect AND w.new_score IS NULL
), 0)
"""
_DECIDING_VOTES = (
    "(article_key, reader) IN (SELECT k.id, d.reader FROM deciding AS d "
    "JOIN article_keys AS k ON k.site = ? AND k.article = d.article)"
)


@dataclass(frozen=True)
class SuspectGroup:
    """The suspect votes awaiting review of one article given on one of its site's local days."""

    day: int
    article: str
    title: str | None
    votes: int
    average: float
    latest_ms: int
    clusters: tuple[str, ...]
    """The labels of the addresses that made them suspect (votes from before labels have none)."""


@dataclass(frozen=True)
class SuspectCluster:
    """The readers one address brought past the cap, among the votes awaiting review."""

    label: str
    readers: int
    articles: tuple[str, ...]


@dataclass(frozen=True)
class SuspectPage:
    groups: list[SuspectGroup]
    clusters: list[SuspectCluster]
    """The clusters of this page's groups."""
    total_groups: int
    total_votes: int


@dataclass(frozen=True)
class Decided:
    votes: int
    articles: list[str]


class Suspects:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def awaiting(self, site: str) -> int:
        """How many of the site's suspect votes await review."""
        rows = await self._database.fetch(f"SELECT count(*) {_OF_SITE}", (site,))
        count: int = rows[0][0]
        return count

    async def page(self, site: str, limit: int, offset: int) -> SuspectPage:
        """The site's suspect votes awaiting review by article and local day, newest first."""
        async with self._database.snapshot() as connection:
            rows = await connection.execute_fetchall(
                f"SELECT {_DAY} AS day, k.article, a.title, count(*), avg(v.score), max(v.updated_at), "
                f"json_group_array(DISTINCT v.cluster) {_FROM} "
                "LEFT JOIN articles AS a ON a.site = k.site AND a.article = k.article "
                f"WHERE k.site = ? AND {_AWAITING} "
                "GROUP BY day, k.article ORDER BY day DESC, max(v.updated_at) DESC, k.article LIMIT ? OFFSET ?",
                (site, limit, offset),
            )
            groups = [
                SuspectGroup(day, article, title, votes, average, latest, _labels(clusters))
                for day, article, title, votes, average, latest, clusters in rows
            ]
            totals = await connection.execute_fetchall(
                f"SELECT count(*), coalesce(sum(votes), 0) FROM (SELECT count(*) AS votes {_OF_SITE} "
                f"GROUP BY {_DAY}, k.article)",
                (site,),
            )
            labels = sorted({label for group in groups for label in group.clusters})
            clusters = await _clusters(connection, site, labels) if labels else []
        total_groups, total_votes = next(iter(totals))
        return SuspectPage(groups, clusters, total_groups, total_votes)

    async def decide(
        self, site: str, accept: bool, groups: Sequence[tuple[int, str]], clusters: Sequence[str]
    ) -> Decided:
        """Accept or discard the site's suspect votes awaiting review in `groups` (local day,
        article) or in `clusters` (labels), in one transaction.

        Accepted votes count: on the vote, on the events of its current score (so the per-day
        aggregates gain them on the days they were given, and rebuilding them agrees), and in
        Redis once the flusher has dropped the articles' stale copies. Discarded ones stay
        suspect; both decisions are written on the vote and on those events."""
        async with self._database.transaction() as connection:
            await _choose(connection, site, groups, clusters)
            await connection.execute(_CURRENT_EVENTS, (site,))
            decision = "accepted" if accept else "discarded"
            counted = ", suspect = 0" if accept else ""
            await connection.execute(
                f"UPDATE vote_events SET review = ?{counted} WHERE id IN (SELECT id FROM deciding_events)", (decision,)
            )
            await connection.execute(
                f"UPDATE votes_by_key SET review = ?{counted} WHERE {_DECIDING_VOTES}", (decision, site)
            )
            decided = await connection.execute_fetchall("SELECT DISTINCT article FROM deciding ORDER BY article")
            (votes,) = next(iter(await connection.execute_fetchall("SELECT count(*) FROM deciding")))
            articles = [article for (article,) in decided]
            if accept:
                await add_to_days(connection, "e.id IN (SELECT id FROM deciding_events)")
                await mark_stale(connection, ((site, article) for article in articles), votes_changed=True)
        return Decided(votes, articles)


async def _choose(
    connection: aiosqlite.Connection, site: str, groups: Sequence[tuple[int, str]], clusters: Sequence[str]
) -> None:
    """Fill the temp table `deciding` with the votes awaiting review that the editor chose."""
    await connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS deciding (article TEXT, reader TEXT, UNIQUE (article, reader))"
    )
    await connection.execute("CREATE TEMP TABLE IF NOT EXISTS deciding_events (id INTEGER PRIMARY KEY)")
    await connection.execute("DELETE FROM deciding")
    await connection.execute("DELETE FROM deciding_events")
    chosen = f"INSERT OR IGNORE INTO deciding (article, reader) SELECT k.article, v.reader {_OF_SITE}"
    await connection.executemany(
        f"{chosen} AND k.article = ? AND {_DAY} = ?", ((site, article, day) for day, article in groups)
    )
    if clusters:  # `IN ()` leaves SQLite no plan with the named index
        await connection.execute(f"{chosen} AND v.cluster IN ({', '.join('?' * len(clusters))})", (site, *clusters))


async def _clusters(connection: aiosqlite.Connection, site: str, labels: Sequence[str]) -> list[SuspectCluster]:
    """The readers and articles of each cluster, among the votes awaiting review."""
    rows = await connection.execute_fetchall(
        f"SELECT v.cluster, count(DISTINCT v.reader), json_group_array(DISTINCT k.article) {_OF_SITE} "
        f"AND v.cluster IN ({', '.join('?' * len(labels))}) GROUP BY v.cluster "
        "ORDER BY count(DISTINCT v.reader) DESC, v.cluster",
        (site, *labels),
    )
    return [SuspectCluster(label, readers, tuple(json.loads(articles))) for label, readers, articles in rows]


def _labels(clusters: str) -> tuple[str, ...]:
    return tuple(sorted(label for label in json.loads(clusters) if label is not None))
