"""The `votes` table (each reader's current vote) and the `vote_events` log of its changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import aiosqlite

from feedback.archive.articles import save_article_infos
from feedback.archive.connection import Database
from feedback.archive.stale import mark_stale
from feedback.local_days import DEFAULT_TIME_ZONE
from feedback.models import ArticleInfo, Histogram, VoteEvent

# A counted vote: set (not withdrawn) and not suspect. Suspect votes are kept for editors only.
_COUNTED = "score IS NOT NULL AND NOT suspect"

# A vote the archive counts stays counted when changed, as in vote.lua: a suspect event for it
# comes from a copy in Redis that predates an editor's accepting it (that copy is stale, and
# dropped once flushed). Its changes up to a withdrawal only: a vote given again after one was
# decided by the cap anew.
_KEEP_COUNTED = """
UPDATE incoming SET suspect = 0
WHERE suspect
AND EXISTS (
    SELECT 1 FROM votes AS v WHERE v.site = incoming.site AND v.article = incoming.article
    AND v.reader = incoming.reader AND v.score IS NOT NULL AND NOT v.suspect
)
AND NOT EXISTS (
    SELECT 1 FROM incoming AS w WHERE w.site = incoming.site AND w.article = incoming.article
    AND w.reader = incoming.reader AND w.seq < incoming.seq AND w.score IS NULL
)
"""

# Applies a batch of vote events (already in the temp table `incoming`, ordered by `seq`): events
# not newer than the stored vote are ignored, which makes a replayed batch change nothing; each
# remaining event that changes a score is logged with the score it replaced, and with the
# editor's decision on the vote while it holds (see _UPSERT_LATEST).
_LOG_EVENTS = """
INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect, review)
SELECT site, article, reader, old_score, score, at, suspect, review FROM (
    SELECT i.seq, i.site, i.article, i.reader, i.score, i.at, i.suspect,
           LAG(i.score, 1, v.score) OVER (PARTITION BY i.site, i.article, i.reader ORDER BY i.seq) AS old_score,
           CASE WHEN i.suspect = v.suspect THEN v.review END AS review
    FROM incoming AS i
    LEFT JOIN votes AS v ON v.site = i.site AND v.article = i.article AND v.reader = i.reader
    WHERE v.version IS NULL OR i.version > v.version
)
WHERE old_score IS NOT score
ORDER BY seq
"""

# An editor's decision holds while the vote stays what it made it (counted, or suspect); the
# cluster is the label of the cap's latest decision on the vote, looked up only for a reader
# whose events have one. (max(seq) must stay the only min/max aggregate: the other columns are
# taken from its row.)
_UPSERT_LATEST = """
INSERT INTO votes (site, article, reader, score, version, updated_at, suspect, cluster)
SELECT site, article, reader, score, version, at, suspect, CASE WHEN labels THEN (
    SELECT l.cluster FROM incoming AS l WHERE l.site = g.site AND l.article = g.article AND l.reader = g.reader
    AND l.cluster IS NOT NULL ORDER BY l.seq DESC LIMIT 1
) END FROM (
    SELECT site, article, reader, score, version, at, suspect, max(seq), count(cluster) AS labels
    FROM incoming GROUP BY site, article, reader
) AS g WHERE true
ON CONFLICT (site, article, reader) DO UPDATE
SET score = excluded.score, version = excluded.version, updated_at = excluded.updated_at, suspect = excluded.suspect,
    cluster = coalesce(excluded.cluster, votes.cluster),
    review = CASE WHEN excluded.suspect = votes.suspect THEN votes.review END
WHERE excluded.version > votes.version
"""


_SCORES = range(1, 6)
_GIVEN = ", ".join(f"sum(coalesce(e.new_score, 0) = {score})" for score in _SCORES)
_DELTAS = ", ".join(
    f"sum((coalesce(e.new_score, 0) = {score}) - (coalesce(e.old_score, 0) = {score}))" for score in _SCORES
)
_COUNTS = [*(f"given_{score}" for score in _SCORES), *(f"delta_{score}" for score in _SCORES), "changes"]
_SUMS = ", ".join(f"sum({count})" for count in _COUNTS)
_ADDED = ", ".join(f"{count} = {count} + excluded.{count}" for count in _COUNTS)
# An article-day's votes given and their points, for ranking a period's articles (migration 11).
_DAY_TOTALS = ["votes", "points"]
_VOTES_GIVEN = " + ".join(f"given_{score}" for score in _SCORES)
_POINTS_GIVEN = " + ".join(f"{score} * given_{score}" for score in _SCORES)
# The per-day sums of the counted events that `where` selects, by their site's local day, with
# the time of each article-day's last event: what each application adds to the aggregates.
_DAYS_OF_EVENTS = (
    f"SELECT e.site, local_day(coalesce(s.time_zone, '{DEFAULT_TIME_ZONE}'), e.at) AS local, e.article, "
    f"{_GIVEN}, {_DELTAS}, count(*), max(e.at) FROM vote_events AS e LEFT JOIN sites AS s ON s.id = e.site "
    "WHERE NOT e.suspect AND {where} GROUP BY e.site, local, e.article"
)
_ADD_TO_DAYS = (
    f"INSERT INTO daily_votes (site, day, article, {', '.join([*_COUNTS, *_DAY_TOTALS])}) "
    f"SELECT site, day, article, {', '.join(_COUNTS)}, {_VOTES_GIVEN}, {_POINTS_GIVEN} FROM logged_days WHERE true "
    f"ON CONFLICT (site, day, article) DO UPDATE SET {_ADDED}, "
    + ", ".join(f"{total} = {total} + excluded.{total}" for total in _DAY_TOTALS)
)
_ADD_TO_SITE_DAYS = (
    f"INSERT INTO site_days (site, day, {', '.join(_COUNTS)}) SELECT site, day, {_SUMS} FROM logged_days "
    f"GROUP BY site, day ON CONFLICT (site, day) DO UPDATE SET {_ADDED}"
)
_ARTICLE_COUNTS = [f"count_{score}" for score in _SCORES]
_ADD_TO_ARTICLES = (
    f"INSERT INTO article_votes (site, article, {', '.join(_ARTICLE_COUNTS)}, last_at) "
    f"SELECT site, article, {', '.join(f'sum(delta_{score})' for score in _SCORES)}, max(last_at) "
    "FROM logged_days GROUP BY site, article ON CONFLICT (site, article) DO UPDATE SET "
    + ", ".join(f"{count} = {count} + excluded.{count}" for count in _ARTICLE_COUNTS)
    + ", last_at = max(last_at, excluded.last_at)"
)


async def add_to_days(connection: aiosqlite.Connection, where: str, parameters: Sequence[object] = ()) -> None:
    """Inside a transaction: add the counted events that `where` (a condition on `e`, the
    events) selects to the aggregates (per article-day, site-day and article), each on its
    site's local day."""
    await _sum_into_logged_days(connection, where, parameters)
    for statement in (_ADD_TO_DAYS, _ADD_TO_SITE_DAYS, _ADD_TO_ARTICLES):
        await connection.execute(statement)


async def rebuild_days(connection: aiosqlite.Connection, site: str) -> None:
    """Inside a transaction: sum a site's per-day aggregates afresh from its events (after its
    time zone changed, its days did)."""
    await _sum_into_logged_days(connection, "e.site = ?", (site,))
    await connection.execute("DELETE FROM daily_votes WHERE site = ?", (site,))
    await connection.execute("DELETE FROM site_days WHERE site = ?", (site,))
    await connection.execute(_ADD_TO_DAYS)
    await connection.execute(_ADD_TO_SITE_DAYS)


async def apply_vote_events(connection: aiosqlite.Connection, events: Iterable[VoteEvent]) -> None:
    """Inside a transaction: apply vote events in order, newest version per reader winning, and
    add what changed to the aggregates (per article-day, site-day and article)."""
    await connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS incoming (seq INTEGER PRIMARY KEY, site TEXT, article TEXT, "
        "reader TEXT, score INTEGER, version INTEGER, at INTEGER, suspect INTEGER, cluster TEXT)"
    )
    await connection.execute("DELETE FROM incoming")
    rows = [
        (
            e.change.site,
            e.change.article,
            e.change.reader,
            e.change.score,
            e.version,
            e.at_ms,
            e.change.suspect,
            e.cluster,
        )
        for e in events
    ]
    await connection.executemany(
        "INSERT INTO incoming (site, article, reader, score, version, at, suspect, cluster) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if any(row[6] for row in rows):  # the usual chunk has no suspect vote, and is spared the statement
        await connection.execute(_KEEP_COUNTED)
    (last_logged,) = next(iter(await connection.execute_fetchall("SELECT coalesce(max(id), 0) FROM vote_events")))
    await connection.execute(_LOG_EVENTS)
    await add_to_days(connection, "e.id > ?", (last_logged,))
    await connection.execute(_UPSERT_LATEST)


async def _sum_into_logged_days(connection: aiosqlite.Connection, where: str, parameters: Sequence[object]) -> None:
    """Replace the temporary `logged_days` by the per-day sums of the counted events `where`
    selects (local_day is a Python call per event: each event is summed once, then added to
    each aggregate from there)."""
    await connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS logged_days (site TEXT, day INTEGER, article TEXT, "
        f"{', '.join(f'{count} INTEGER' for count in _COUNTS)}, last_at INTEGER)"
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
