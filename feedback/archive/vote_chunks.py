"""Applying a chunk of vote events to `votes`, `vote_events` and the aggregates, in Python on the
connection's own thread: the keys of the chunk's articles and the stored votes of its readers
are read once, each event is decided on in memory, and every table is written by one
`executemany` of prepared rows. One call per chunk instead of a statement (and a thread hop) per
step, no SQL callback per event for its local day, and no statement whose cost grows with the
square of a chunk (docs/performance.md).
The rules are the ones docs/architecture.md gives for a flush."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence

from feedback.local_days import DEFAULT_TIME_ZONE, local_day
from feedback.models import VoteEvent

SCORES = range(1, 6)
# An article-day's (and a site-day's) counts: votes given by score, the change of the votes
# standing by score, and how many changes.
COUNTS = [*(f"given_{score}" for score in SCORES), *(f"delta_{score}" for score in SCORES), "changes"]
# An article-day's votes given and their points, for ranking a period's articles (migration 11).
DAY_TOTALS = ["votes", "points"]
# An article's totals: its counted votes by score.
ARTICLE_COUNTS = [f"count_{score}" for score in SCORES]


def added(columns: Sequence[str]) -> str:
    """An upsert's SET clause adding the incoming row's `columns` to the stored row's."""
    return ", ".join(f"{column} = {column} + excluded.{column}" for column in columns)


# Each of the chunk's readers with their article's key and their stored vote, both NULL when
# missing. LEFT JOINs keep the temp table first: each row is two seeks, no scan.
_STORED = (
    "SELECT r.site, r.article, r.reader, k.id, v.score, v.version, v.suspect, v.review FROM chunk_readers AS r "
    "LEFT JOIN article_keys AS k ON k.site = r.site AND k.article = r.article "
    "LEFT JOIN votes_by_key AS v ON v.article_key = k.id AND v.reader = r.reader"
)
# The rows bound to these statements carry 0 for no score and "" for no review or cluster, which
# the statements turn into NULL: Python's sqlite3 binds a None (or a bool) only after looking for
# an adapter for its type, which nearly doubled what a row of the log cost (docs/performance.md).
_LOG = (
    "INSERT INTO vote_events (article_key, reader, old_score, new_score, at, suspect, review) "
    "VALUES (?, ?, nullif(?, 0), nullif(?, 0), ?, ?, nullif(?, ''))"
)
# An editor's decision holds while the vote stays what it made it (counted, or suspect); a
# cluster label, once given, stays until the cap labels the vote anew.
_UPSERT_LATEST = (
    "INSERT INTO votes_by_key (article_key, reader, score, version, updated_at, suspect, cluster) "
    "VALUES (?, ?, nullif(?, 0), ?, ?, ?, nullif(?, '')) ON CONFLICT (article_key, reader) DO UPDATE "
    "SET score = excluded.score, version = excluded.version, updated_at = excluded.updated_at, "
    "suspect = excluded.suspect, cluster = coalesce(excluded.cluster, votes_by_key.cluster), "
    "review = CASE WHEN excluded.suspect = votes_by_key.suspect THEN votes_by_key.review END "
    "WHERE excluded.version > votes_by_key.version"
)
_ADD_TO_DAYS = (
    f"INSERT INTO daily_votes_by_key (article_key, day, {', '.join([*COUNTS, *DAY_TOTALS])}) "
    f"VALUES ({', '.join('?' * (len(COUNTS) + 4))}) ON CONFLICT (article_key, day) DO UPDATE SET "
    f"{added([*COUNTS, *DAY_TOTALS])}"
)
_ADD_TO_SITE_DAYS = (
    f"INSERT INTO site_days (site, day, {', '.join(COUNTS)}) VALUES ({', '.join('?' * (len(COUNTS) + 2))}) "
    f"ON CONFLICT (site, day) DO UPDATE SET {added(COUNTS)}"
)
_ADD_TO_ARTICLES = (
    f"INSERT INTO article_votes (site, article, article_key, {', '.join(ARTICLE_COUNTS)}, last_at) "
    f"VALUES ({', '.join('?' * (len(ARTICLE_COUNTS) + 4))}) "
    f"ON CONFLICT (site, article) DO UPDATE SET {added(ARTICLE_COUNTS)}, last_at = max(last_at, excluded.last_at)"
)

_Key = tuple[str, str, str]
"""A vote: site, article, reader."""
_Stored = tuple[int | None, int, int, str | None]
"""A stored vote: score, version, suspect, review."""
_Latest = tuple[int, str, int, int, int, int, str]
"""A vote to store: article key, reader, score (0: none), version, updated_at, suspect, cluster
("": none)."""
_NO_VOTE: _Stored = (None, -1, 0, None)
"""What a reader without a stored vote is decided against: versions start above it."""

# What counted events add to one article-day: given_1..5, delta_1..5, changes, then last_at.
_Sums = list[int]
_CHANGES, _LAST_AT = 10, 11


class VoteChunk:
    def __init__(self, events: Sequence[VoteEvent]) -> None:
        self._events = events

    def apply(self, connection: sqlite3.Connection) -> None:
        """Inside a transaction: events not newer than the stored vote are ignored (a replayed
        chunk changes nothing); each other event that changes a score is logged with the score it
        replaced, and counted events are added to the aggregates on their site's local day; each
        reader's latest event becomes their vote."""
        if not self._events:
            return
        keys, stored = self._stored(connection)
        logged, latest, days = self._decide(keys, stored, _zones(connection))
        connection.executemany(_LOG, logged)
        connection.executemany(_UPSERT_LATEST, latest)
        _add_to_aggregates(connection, days, keys)

    def _stored(self, connection: sqlite3.Connection) -> tuple[dict[tuple[str, str], int], dict[_Key, _Stored]]:
        """The keys of the chunk's articles (`article_keys`; an article new to the archive gets
        the next one: the flusher holds the write lock, so none is taken meanwhile) and the
        stored votes of its readers, read in one statement."""
        connection.execute("CREATE TEMP TABLE IF NOT EXISTS chunk_readers (site TEXT, article TEXT, reader TEXT)")
        connection.execute("DELETE FROM chunk_readers")
        readers = dict.fromkeys((e.change.site, e.change.article, e.change.reader) for e in self._events)
        connection.executemany("INSERT INTO chunk_readers (site, article, reader) VALUES (?, ?, ?)", readers)
        keys: dict[tuple[str, str], int] = {}
        stored: dict[_Key, _Stored] = {}
        missing: dict[tuple[str, str], None] = {}
        for site, article, reader, key, score, version, suspect, review in connection.execute(_STORED):
            if key is None:
                missing[(site, article)] = None
            else:
                keys[(site, article)] = key
            if version is not None:
                stored[(site, article, reader)] = (score, version, suspect, review)
        if missing:
            (last,) = connection.execute("SELECT coalesce(max(id), 0) FROM article_keys").fetchone()
            new = {article: key for key, article in enumerate(missing, start=last + 1)}
            rows = ((key, site, article) for (site, article), key in new.items())
            connection.executemany("INSERT INTO article_keys (id, site, article) VALUES (?, ?, ?)", rows)
            keys |= new
        return keys, stored

    def _decide(
        self, keys: dict[tuple[str, str], int], stored: dict[_Key, _Stored], zones: dict[str, str]
    ) -> tuple[list[tuple[object, ...]], list[_Latest], dict[tuple[str, int, str], _Sums]]:
        """In one pass over the events: the rows to log, in order; each reader's latest event
        (the vote to store, with the cap's latest cluster label among its events); and what the
        counted events add per article-day."""
        logged: list[tuple[object, ...]] = []
        latest: dict[_Key, _Latest] = {}
        days: dict[tuple[str, int, str], _Sums] = {}
        scores: dict[_Key, int | None] = {}  # each vote's score as the events so far left it
        withdrawn: set[_Key] = set()
        for event in self._events:
            change = event.change
            site, article, reader, score = change.site, change.article, change.reader, change.score
            key = (site, article, reader)
            article_key = keys[(site, article)]
            stored_score, stored_version, stored_suspect, stored_review = stored.get(key, _NO_VOTE)
            suspect = change.suspect
            if suspect and stored_score is not None and not stored_suspect and key not in withdrawn:
                # A vote the archive counts stays counted when changed, as in vote.lua: a suspect
                # event for it comes from a copy in Redis that predates an editor's accepting it
                # (that copy is stale, and dropped once flushed). Up to a withdrawal only: a vote
                # given again after one was decided by the cap anew.
                suspect = False
            if score is None:
                withdrawn.add(key)
            cluster = event.cluster
            if cluster is None and (previous := latest.get(key)) is not None:
                cluster = previous[-1]
            latest[key] = (article_key, reader, score or 0, event.version, event.at_ms, int(suspect), cluster or "")
            if event.version <= stored_version:
                continue
            old_score = scores.get(key, stored_score)
            scores[key] = score
            if old_score == score:
                continue
            review = stored_review if suspect == stored_suspect else None
            logged.append((article_key, reader, old_score or 0, score or 0, event.at_ms, int(suspect), review or ""))
            if suspect:
                continue
            day = local_day(zones.get(site, DEFAULT_TIME_ZONE), event.at_ms)
            sums = days.get((site, day, article))
            if sums is None:
                sums = days[(site, day, article)] = [0] * 12
            if score is not None:
                sums[score - 1] += 1
                sums[score + 4] += 1
            if old_score is not None:
                sums[old_score + 4] -= 1
            sums[_CHANGES] += 1
            if event.at_ms > sums[_LAST_AT]:
                sums[_LAST_AT] = event.at_ms
        return logged, list(latest.values()), days


def _zones(connection: sqlite3.Connection) -> dict[str, str]:
    return dict(connection.execute("SELECT id, time_zone FROM sites").fetchall())


def _add_to_aggregates(
    connection: sqlite3.Connection, days: dict[tuple[str, int, str], _Sums], keys: dict[tuple[str, str], int]
) -> None:
    """Upsert each article-day's sums, and their totals per site-day (column sums, taken by
    `zip` in C) and per article (score counts and last change)."""
    site_days: dict[tuple[str, int], list[_Sums]] = {}
    articles: dict[tuple[str, str], _Sums] = {}
    day_rows = []
    for (site, day, article), sums in days.items():
        given_1, given_2, given_3, given_4, given_5 = sums[:5]  # spelt out: a third faster than sum(map())
        votes = given_1 + given_2 + given_3 + given_4 + given_5
        points = given_1 + 2 * given_2 + 3 * given_3 + 4 * given_4 + 5 * given_5
        day_rows.append((keys[(site, article)], day, *sums[:_LAST_AT], votes, points))
        site_days.setdefault((site, day), []).append(sums)
        if (totals := articles.get((site, article))) is None:
            articles[(site, article)] = sums[5:]
        else:
            totals[:5] = map(operator.add, totals[:5], sums[5:10])
            totals[-1] = max(totals[-1], sums[_LAST_AT])
    connection.executemany(_ADD_TO_DAYS, day_rows)
    connection.executemany(
        _ADD_TO_SITE_DAYS,
        ((site, day, *list(map(sum, zip(*rows, strict=True)))[:_LAST_AT]) for (site, day), rows in site_days.items()),
    )
    connection.executemany(
        _ADD_TO_ARTICLES,
        (
            (site, article, keys[(site, article)], *totals[:5], totals[-1])
            for (site, article), totals in articles.items()
        ),
    )
