"""The `votes` table (each reader's current vote) and the `vote_events` log of its changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import aiosqlite

from feedback.archive.articles import save_article_infos
from feedback.archive.connection import Database, in_thread
from feedback.archive.stale import mark_stale
from feedback.archive.vote_chunks import ARTICLE_COUNTS, COUNTS, DAY_TOTALS, SCORES, VoteChunk, added
from feedback.local_days import DEFAULT_TIME_ZONE
from feedback.models import ArticleInfo, Histogram, VoteEvent

# A counted vote: set (not withdrawn) and not suspect. Suspect votes are kept for editors only.
_COUNTED = "score IS NOT NULL AND NOT suspect"

_GIVEN = ", ".join(f"sum(coalesce(e.new_score, 0) = {score})" for score in SCORES)
_DELTAS = ", ".join(
    f"sum((coalesce(e.new_score, 0) = {score}) - (coalesce(e.old_score, 0) = {score}))" for score in SCORES
)
_SUMS = ", ".join(f"sum({count})" for count in COUNTS)
_VOTES_GIVEN = " + ".join(f"given_{score}" for score in SCORES)
_POINTS_GIVEN = " + ".join(f"{score} * given_{score}" for score in SCORES)
# The per-day sums of the counted events that `where` selects, by their site's local day, with
# the time of each article-day's last event: what each application adds to the aggregates.
_DAYS_OF_EVENTS = (
    f"SELECT k.site, local_day(coalesce(s.time_zone, '{DEFAULT_TIME_ZONE}'), e.at) AS local, k.article, k.id, "
    f"{_GIVEN}, {_DELTAS}, count(*), max(e.at) FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key "
    "LEFT JOIN sites AS s ON s.id = k.site WHERE NOT e.suspect AND {where} GROUP BY k.site, local, k.article"
)
_ADD_TO_DAYS = (
    f"INSERT INTO daily_votes_by_key (article_key, day, {', '.join([*COUNTS, *DAY_TOTALS])}) "
    f"SELECT article_key, day, {', '.join(COUNTS)}, {_VOTES_GIVEN}, {_POINTS_GIVEN} FROM logged_days WHERE true "
    f"ON CONFLICT (article_key, day) DO UPDATE SET {added([*COUNTS, *DAY_TOTALS])}"
)
_ADD_TO_SITE_DAYS = (
    f"INSERT INTO site_days (site, day, {', '.join(COUNTS)}) SELECT site, day, {_SUMS} FROM logged_days "
    f"GROUP BY site, day ON CONFLICT (site, day) DO UPDATE SET {added(COUNTS)}"
)
_ADD_TO_ARTICLES = (
    f"INSERT INTO article_votes (site, article, article_key, {', '.join(ARTICLE_COUNTS)}, last_at) "
    f"SELECT site, article, article_key, {', '.join(f'sum(delta_{score})' for score in SCORES)}, max(last_at) "
    f"FROM logged_days GROUP BY site, article ON CONFLICT (site, article) DO UPDATE SET {added(ARTICLE_COUNTS)}, "
    "last_at = max(last_at, excluded.last_at)"
)


async def add_to_days(connection: aiosqlite.Connection, where: str, parameters: Sequence[object] = ()) -> None:
    """Inside a transaction: add the counted events that `where` (a condition on `e`, the
    events, and `k`, their articles' keys) selects to the aggregates (per article-day, site-day
    and article), each on its site's local day."""
    await _sum_into_logged_days(connection, where, parameters)
    for statement in (_ADD_TO_DAYS, _ADD_TO_SITE_DAYS, _ADD_TO_ARTICLES):
        await connection.execute(statement)


async def rebuild_days(connection: aiosqlite.Connection, site: str) -> None:
    """Inside a transaction: sum a site's per-day aggregates afresh from its events (after its
    time zone changed, its days did)."""
    await _sum_into_logged_days(connection, "k.site = ?", (site,))
    await connection.execute(
        "DELETE FROM daily_votes_by_key WHERE article_key IN (SELECT id FROM article_keys WHERE site = ?)", (site,)
    )
    await connection.execute("DELETE FROM site_days WHERE site = ?", (site,))
    await connection.execute(_ADD_TO_DAYS)
    await connection.execute(_ADD_TO_SITE_DAYS)


async def apply_vote_events(connection: aiosqlite.Connection, events: Iterable[VoteEvent]) -> None:
    """Inside a transaction: apply vote events in order, newest version per reader winning, and
    add what changed to the aggregates (per article-day, site-day and article)."""
    await in_thread(connection, VoteChunk(list(events)).apply)


async def _sum_into_logged_days(connection: aiosqlite.Connection, where: str, parameters: Sequence[object]) -> None:
    """Replace the temporary `logged_days` by the per-day sums of the counted events `where`
    selects (local_day is a Python call per event: each event is summed once, then added to
    each aggregate from there)."""
    await connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS logged_days (site TEXT, day INTEGER, article TEXT, article_key INTEGER, "
        f"{', '.join(f'{count} INTEGER' for count in COUNTS)}, last_at INTEGER)"
    )
    await connection.execute("DELETE FROM logged_days")
    await connection.execute(f"INSERT INTO logged_days {_DAYS_OF_EVENTS.format(where=where)}", parameters)


class Votes:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def histogram(self, site: str, article: str) -> Histogram:
        rows = await self._database.fetch(
            f"SELECT score, count(*) FROM votes WHERE site = ? AND article = ? AND {_COUNTED} GROUP BY score",
            (site, article),
        )
        counts: dict[int, int] = {score: votes for score, votes in rows}
        return (counts.get(1, 0), counts.get(2, 0), counts.get(3, 0), counts.get(4, 0), counts.get(5, 0))

    async def reader_score(self, site: str, article: str, reader: str) -> int | None:
        rows = await self._database.fetch(
            "SELECT score FROM votes WHERE site = ? AND article = ? AND reader = ?", (site, article, reader)
        )
        return rows[0][0] if rows else None

    async def record_direct(self, event: VoteEvent) -> None:
        """Store a vote that could not go through Redis, and mark Redis's copy of its article stale.

        Without Redis no cap is checked, but a suspect vote stays suspect when changed."""
        change = event.change
        async with self._database.transaction() as connection:
            rows = await connection.execute_fetchall(
                "SELECT suspect FROM votes WHERE site = ? AND article = ? AND reader = ? AND score IS NOT NULL",
                (change.site, change.article, change.reader),
            )
            if any(suspect for (suspect,) in rows):
                event = replace(event, change=replace(change, suspect=True))
            await apply_vote_events(connection, (event,))
            if change.about is not None:
                await save_article_infos(
                    connection, [ArticleInfo(change.site, change.article, change.about, event.at_ms)]
                )
            await mark_stale(connection, [(change.site, change.article)], votes_changed=True)
