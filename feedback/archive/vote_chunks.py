"""Applying a chunk of vote events to `votes`, `vote_events` and the aggregates, in Python on the
connection's own thread: the stored votes of the chunk's readers are read once, each event is
decided on in memory, and every table is written by one `executemany` of prepared rows. One call
per chunk instead of a statement (and a thread hop) per step, no SQL callback per event for its
local day, and no statement whose cost grows with the square of a chunk (docs/performance.md).
The rules are the ones docs/architecture.md gives for a flush."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from feedback.local_days import DEFAULT_TIME_ZONE, local_day
from feedback.models import VoteEvent

_SCORES = range(1, 6)
_COUNTS = [*(f"given_{score}" for score in _SCORES), *(f"delta_{score}" for score in _SCORES), "changes"]
_ADDED = ", ".join(f"{count} = {count} + excluded.{count}" for count in _COUNTS)
_ARTICLE_COUNTS = [f"count_{score}" for score in _SCORES]

_STORED = (
    "SELECT r.site, r.article, r.reader, v.score, v.version, v.suspect, v.review FROM chunk_readers AS r "
    "CROSS JOIN votes AS v ON v.site = r.site AND v.article = r.article AND v.reader = r.reader"
)
_LOG = (
    "INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect, review) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# An editor's decision holds while the vote stays what it made it (counted, or suspect); a
# cluster label, once given, stays until the cap labels the vote anew.
_UPSERT_LATEST = (
    "INSERT INTO votes (site, article, reader, score, version, updated_at, suspect, cluster) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, article, reader) DO UPDATE "
    "SET score = excluded.score, version = excluded.version, updated_at = excluded.updated_at, "
    "suspect = excluded.suspect, cluster = coalesce(excluded.cluster, votes.cluster), "
    "review = CASE WHEN excluded.suspect = votes.suspect THEN votes.review END "
    "WHERE excluded.version > votes.version"
)
_ADD_TO_DAYS = (
    f"INSERT INTO daily_votes (site, day, article, {', '.join(_COUNTS)}, votes, points) "
    f"VALUES ({', '.join('?' * (len(_COUNTS) + 5))}) ON CONFLICT (site, article, day) DO UPDATE SET {_ADDED}, "
    "votes = votes + excluded.votes, points = points + excluded.points"
)
_ADD_TO_SITE_DAYS = (
    f"INSERT INTO site_days (site, day, {', '.join(_COUNTS)}) VALUES ({', '.join('?' * (len(_COUNTS) + 2))}) "
    f"ON CONFLICT (site, day) DO UPDATE SET {_ADDED}"
)
_ADD_TO_ARTICLES = (
    f"INSERT INTO article_votes (site, article, {', '.join(_ARTICLE_COUNTS)}, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (site, article) DO UPDATE SET "
    + ", ".join(f"{count} = {count} + excluded.{count}" for count in _ARTICLE_COUNTS)
    + ", last_at = max(last_at, excluded.last_at)"
)

_Key = tuple[str, str, str]
"""A vote: site, article, reader."""


@dataclass(slots=True)
class _Stored:
    score: int | None
    version: int
    suspect: bool
    review: str | None


# What counted events add to one aggregate row: given_1..5, delta_1..5, changes, then last_at.
_Sums = list[int]
_LAST_AT = 11


def _add_event(sums: _Sums, old_score: int | None, new_score: int | None, at: int) -> None:
    if new_score is not None:
        sums[new_score - 1] += 1
        sums[new_score + 4] += 1
    if old_score is not None:
        sums[old_score + 4] -= 1
    sums[10] += 1
    if at > sums[_LAST_AT]:
        sums[_LAST_AT] = at


def _add_sums(sums: _Sums, other: _Sums) -> None:
    for index in range(_LAST_AT):
        sums[index] += other[index]
    if other[_LAST_AT] > sums[_LAST_AT]:
        sums[_LAST_AT] = other[_LAST_AT]


class VoteChunk:
    def __init__(self, events: Sequence[VoteEvent]) -> None:
        self._events = events
        self._suspect = [event.change.suspect for event in events]
        """Each event's suspect mark as applied (see _log)."""

    def apply(self, connection: sqlite3.Connection) -> None:
        """Inside a transaction: events not newer than the stored vote are ignored (a replayed
        chunk changes nothing); each other event that changes a score is logged with the score it
        replaced, and counted events are added to the aggregates on their site's local day; each
        reader's latest event becomes their vote."""
        if not self._events:
            return
        stored = self._stored(connection)
        logged, days = self._log(stored, _zones(connection))
        connection.executemany(_LOG, logged)
        connection.executemany(_UPSERT_LATEST, self._latest())
        _add_to_aggregates(connection, days)

    def _stored(self, connection: sqlite3.Connection) -> dict[_Key, _Stored]:
        connection.execute("CREATE TEMP TABLE IF NOT EXISTS chunk_readers (site TEXT, article TEXT, reader TEXT)")
        connection.execute("DELETE FROM chunk_readers")
        keys = dict.fromkeys((e.change.site, e.change.article, e.change.reader) for e in self._events)
        connection.executemany("INSERT INTO chunk_readers (site, article, reader) VALUES (?, ?, ?)", keys)
        return {
            (site, article, reader): _Stored(score, version, bool(suspect), review)
            for site, article, reader, score, version, suspect, review in connection.execute(_STORED)
        }

    def _log(
        self, stored: dict[_Key, _Stored], zones: dict[str, str]
    ) -> tuple[list[tuple[object, ...]], dict[tuple[str, int, str], _Sums]]:
        """The rows to log, in order, and what the counted ones add per article-day."""
        logged: list[tuple[object, ...]] = []
        days: dict[tuple[str, int, str], _Sums] = {}
        scores: dict[_Key, int | None] = {}  # each vote's score as the events so far left it
        withdrawn: set[_Key] = set()
        for index, event in enumerate(self._events):
            change = event.change
            key = (change.site, change.article, change.reader)
            vote = stored.get(key)
            suspect = change.suspect
            if suspect and key not in withdrawn and vote is not None and vote.score is not None and not vote.suspect:
                # A vote the archive counts stays counted when changed, as in vote.lua: a suspect
                # event for it comes from a copy in Redis that predates an editor's accepting it
                # (that copy is stale, and dropped once flushed). Up to a withdrawal only: a vote
                # given again after one was decided by the cap anew.
                suspect = self._suspect[index] = False
            if change.score is None:
                withdrawn.add(key)
            if vote is not None and event.version <= vote.version:
                continue
            old_score = scores.get(key, vote.score if vote is not None else None)
            scores[key] = change.score
            if old_score == change.score:
                continue
            review = vote.review if vote is not None and suspect == vote.suspect else None
            logged.append((*key, old_score, change.score, event.at_ms, suspect, review))
            if not suspect:
                day = local_day(zones.get(change.site, DEFAULT_TIME_ZONE), event.at_ms)
                sums = days.get((change.site, day, change.article))
                if sums is None:
                    sums = days[(change.site, day, change.article)] = [0] * 12
                _add_event(sums, old_score, change.score, event.at_ms)
        return logged, days

    def _latest(self) -> list[tuple[object, ...]]:
        """Each reader's latest event, with the cap's latest cluster label among its events."""
        latest: dict[_Key, tuple[object, ...]] = {}
        clusters: dict[_Key, str] = {}
        for event, suspect in zip(self._events, self._suspect, strict=True):
            change = event.change
            key = (change.site, change.article, change.reader)
            if event.cluster is not None:
                clusters[key] = event.cluster
            latest[key] = (change.score, event.version, event.at_ms, suspect)
        return [(*key, *values, clusters.get(key)) for key, values in latest.items()]


def _zones(connection: sqlite3.Connection) -> dict[str, str]:
    return dict(connection.execute("SELECT id, time_zone FROM sites").fetchall())


def _add_to_aggregates(connection: sqlite3.Connection, days: dict[tuple[str, int, str], _Sums]) -> None:
    site_days: dict[tuple[str, int], _Sums] = {}
    articles: dict[tuple[str, str], _Sums] = {}
    day_rows = []
    for (site, day, article), sums in days.items():
        given = sums[:5]
        day_rows.append((site, day, article, *sums[:_LAST_AT], sum(given), sum(map(operator.mul, _SCORES, given))))
        if (site_sums := site_days.get((site, day))) is None:
            site_days[(site, day)] = sums.copy()
        else:
            _add_sums(site_sums, sums)
        if (article_sums := articles.get((site, article))) is None:
            articles[(site, article)] = sums.copy()
        else:
            _add_sums(article_sums, sums)
    connection.executemany(_ADD_TO_DAYS, day_rows)
    connection.executemany(
        _ADD_TO_SITE_DAYS, ((site, day, *sums[:_LAST_AT]) for (site, day), sums in site_days.items())
    )
    connection.executemany(
        _ADD_TO_ARTICLES, ((site, article, *sums[5:10], sums[_LAST_AT]) for (site, article), sums in articles.items())
    )
