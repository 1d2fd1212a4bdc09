"""How readers' verdicts move over a site's local days, from the per-day aggregates the flusher
keeps (`daily_votes` per article, `site_days` per site): never a scan of the event log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiosqlite

from feedback.archive.connection import Database
from feedback.local_days import DAY_MS
from feedback.models import Histogram

_SCORES = range(1, 6)
_SUM_GIVEN = ", ".join(f"sum(given_{score})" for score in _SCORES)
_SUM_DELTAS = ", ".join(f"sum(delta_{score})" for score in _SCORES)
_GIVEN = ", ".join(f"given_{score}" for score in _SCORES)
_DELTAS = ", ".join(f"delta_{score}" for score in _SCORES)
_VOTES = " + ".join(f"given_{score}" for score in _SCORES)
_POINTS = " + ".join(f"{score} * given_{score}" for score in _SCORES)
PRIOR_VOTES = 10
"""How many votes at the site's mean every article is ranked as if it had besides its own: one
5-star vote does not top a list of articles with hundreds."""


@dataclass(frozen=True)
class DayOfVotes:
    day: int
    """The site's local day: days since 1970-01-01 in its time zone (feedback/local_days.py)."""
    given: Histogram
    """The votes set to each score that day (a changed vote counts at its new score)."""
    deltas: tuple[int, int, int, int, int]
    """How each score's count of counted votes changed that day."""
    changes: int


@dataclass(frozen=True)
class RankedArticle:
    article: str
    title: str | None
    url: str | None
    votes: int
    average: float
    ranked: float
    """The Bayesian average: the mean pulled towards the site's by `PRIOR_VOTES` imagined votes."""


@dataclass(frozen=True)
class Mover:
    article: str
    title: str | None
    url: str | None
    votes_before: int
    average_before: float
    votes: int
    average: float
    change: float
    """How far the Bayesian average moved: few votes move it little."""


@dataclass(frozen=True)
class Rankings:
    best: list[RankedArticle]
    worst: list[RankedArticle]
    movers: list[Mover]


@dataclass(frozen=True)
class VoteChangeLogged:
    at_ms: int
    reader: str
    """A short label of the reader (a hash: their token lets whoever holds it vote as them)."""
    old_score: int | None
    new_score: int | None
    suspect: bool


@dataclass(frozen=True)
class Discussed:
    article: str
    title: str | None
    url: str | None
    comments: int


class Trends:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def site_days(self, site: str, first_day: int, last_day: int) -> list[DayOfVotes]:
        """The site's days that saw votes, oldest first."""
        rows = await self._database.fetch(
            f"SELECT day, {_GIVEN}, {_DELTAS}, changes FROM site_days "
            "WHERE site = ? AND day BETWEEN ? AND ? ORDER BY day",
            (site, first_day, last_day),
        )
        return [_day(row) for row in rows]

    async def article_days(self, site: str, article: str, first_day: int, last_day: int) -> list[DayOfVotes]:
        """An article's days that saw votes, oldest first."""
        rows = await self._database.fetch(
            f"SELECT day, {_SUM_GIVEN}, {_SUM_DELTAS}, sum(changes) FROM daily_votes "
            "WHERE site = ? AND article = ? AND day BETWEEN ? AND ? GROUP BY day ORDER BY day",
            (site, article, first_day, last_day),
        )
        return [_day(row) for row in rows]

    async def vote_history(self, site: str, article: str, before_ms: int, limit: int) -> list[VoteChangeLogged]:
        """An article's vote changes before `before_ms`, newest first."""
        rows = await self._database.fetch(
            "SELECT at, reader, old_score, new_score, suspect FROM vote_events WHERE article_key = "
            "(SELECT id FROM article_keys WHERE site = ? AND article = ?) AND at < ? ORDER BY at DESC, id DESC LIMIT ?",
            (site, article, before_ms, limit),
        )
        return [
            VoteChangeLogged(at, hashlib.sha256(reader.encode()).hexdigest()[:8], old, new, bool(suspect))
            for at, reader, old, new, suspect in rows
        ]

    async def rankings(self, site: str, first_day: int, last_day: int, limit: int) -> Rankings:
        """The articles readers rated best and worst in these days, by the Bayesian average of
        the votes given then, and those whose Bayesian average moved most from the as many days
        before, among those rated in both (not those it did not move)."""
        before = first_day - (last_day - first_day + 1)
        # Each article's days are summed from its own run of `daily_votes_by_key` (keyed by
        # article first), led by `article_votes` in article order: the grouping needs no sort,
        # and an article whose last vote came before the period is skipped without a read (none
        # of the lists can hold it; a local day begins less than a day before the UTC one of
        # its number). Both periods are summed in that one pass (FILTER costs less per row than
        # multiplying by a condition), with the Bayesian average best and worst rank by
        # (towards the period's site mean, from site_days), and materialized once for the three
        # lists, each a top-N (no full sort); titles are joined to the listed articles only.
        # Movers are pulled towards the mean of the articles rated in both periods, known only
        # once every article is summed.
        now, then = f"FILTER (WHERE d.day >= {int(first_day)})", f"FILTER (WHERE d.day < {int(first_day)})"
        rows = await self._database.fetch(
            f"WITH mean AS (SELECT coalesce(1.0 * sum({_POINTS}) / sum({_VOTES}), 3.0) AS m FROM site_days "
            "WHERE site = ? AND day BETWEEN ? AND ?), "
            f"sums AS MATERIALIZED (SELECT a.article, sum(d.votes) {now} AS votes, sum(d.points) {now} AS points, "
            f"sum(d.votes) {then} AS votes_before, sum(d.points) {then} AS points_before, "
            f"{_pulled(f'sum(d.points) {now}', f'sum(d.votes) {now}', mean='(SELECT m FROM mean)')} AS ranked "
            "FROM article_votes AS a CROSS JOIN daily_votes_by_key AS d "
            "ON d.article_key = a.article_key AND d.day BETWEEN ? AND ? "
            "WHERE a.site = ? AND a.last_at >= ? GROUP BY a.article), "
            "stats AS (SELECT count(*) FILTER (WHERE votes > 0) AS rated, "
            "coalesce(1.0 * sum(points + points_before) FILTER (WHERE votes > 0 AND votes_before > 0) "
            "/ sum(votes + votes_before) FILTER (WHERE votes > 0 AND votes_before > 0), 3.0) AS m FROM sums), "
            "ranked AS NOT MATERIALIZED (SELECT article, votes, 1.0 * points / votes AS average, ranked "
            "FROM sums WHERE votes > 0), "
            "moved AS (SELECT article, votes, 1.0 * points / votes AS average, "
            f"{_pulled('points', 'votes')} - {_pulled('points_before', 'votes_before')} AS change, "
            "votes_before, 1.0 * points_before / votes_before AS average_before "
            "FROM sums CROSS JOIN stats WHERE votes > 0 AND votes_before > 0), "
            "listed AS (SELECT * FROM (SELECT 'best' AS list, article, votes, average, ranked, NULL, NULL "
            "FROM ranked ORDER BY ranked DESC, votes DESC, article LIMIT ?) "
            "UNION ALL SELECT * FROM (SELECT 'worst', article, votes, average, ranked, NULL, NULL "
            "FROM ranked ORDER BY ranked ASC, votes DESC, article LIMIT ?) "
            "UNION ALL SELECT * FROM (SELECT 'moved', article, votes, average, change, votes_before, average_before "
            "FROM moved WHERE abs(change) > 1e-9 ORDER BY abs(change) DESC, article LIMIT ?)) "
            "SELECT l.*, a.title, a.url, (SELECT rated FROM stats) "
            "FROM listed AS l LEFT JOIN articles AS a ON a.site = ? AND a.article = l.article",
            (site, first_day, last_day, before, last_day, site, (first_day - 1) * DAY_MS, limit, limit, limit, site),
        )
        # With fewer than twice `limit` articles rated, each is listed once: the better half as best.
        rated = rows[0][9] if rows else 0
        best_count = min(limit, -(-rated // 2))
        worst_count = min(limit, rated - best_count)
        # The join keeps no order: each list is sorted again, as SQLite chose it.
        listed: dict[str, list[aiosqlite.Row]] = {"best": [], "worst": [], "moved": []}
        for row in rows:
            listed[row[0]].append(row)
        best = sorted(listed["best"], key=lambda row: (-row[4], -row[2], row[1]))[:best_count]
        worst = sorted(listed["worst"], key=lambda row: (row[4], -row[2], row[1]))[:worst_count]
        movers = sorted(listed["moved"], key=lambda row: (-abs(row[4]), row[1]))
        return Rankings(
            best=[_ranked(row) for row in best],
            worst=[_ranked(row) for row in worst],
            movers=[
                Mover(article, title, url, votes_before, average_before, votes, average, change)
                for _, article, votes, average, change, votes_before, average_before, title, url, _ in movers
            ],
        )

    async def most_discussed(self, site: str, from_ms: int, to_ms: int, limit: int) -> list[Discussed]:
        """The articles readers commented on most in [from_ms, to_ms), spam aside."""
        # Titles are joined to the listed articles only, not to every comment before grouping.
        rows = await self._database.fetch(
            "SELECT d.article, a.title, a.url, d.comments FROM (SELECT article, count(*) AS comments FROM comments "
            "WHERE site = ? AND status IN ('pending', 'approved', 'rejected') AND id >= ? AND id < ? "
            "GROUP BY article ORDER BY comments DESC, article LIMIT ?) AS d "
            "LEFT JOIN articles AS a ON a.site = ? AND a.article = d.article ORDER BY d.comments DESC, d.article",
            (site, _comment_id_at(from_ms), _comment_id_at(to_ms), limit, site),
        )
        return [Discussed(*row) for row in rows]

    async def comments_by_status(self, site: str, from_ms: int, to_ms: int) -> dict[str, int]:
        """How many comments readers wrote in [from_ms, to_ms), by their status now."""
        rows = await self._database.fetch(
            "SELECT status, count(*) FROM comments WHERE site = ? "
            "AND status IN ('pending', 'approved', 'rejected', 'spam') AND id >= ? AND id < ? GROUP BY status",
            (site, _comment_id_at(from_ms), _comment_id_at(to_ms)),
        )
        return {status: count for status, count in rows}


def _pulled(points: str, votes: str, mean: str = "m") -> str:
    """The Bayesian average of these sums, pulled towards `mean` by PRIOR_VOTES."""
    return f"({PRIOR_VOTES} * {mean} + {points}) / ({PRIOR_VOTES} + {votes})"


def _comment_id_at(milliseconds: int) -> str:
    # A comment id begins with its creation time, 12 hex digits (services/comments.py).
    return f"{max(0, milliseconds):012x}"


def _day(row: aiosqlite.Row) -> DayOfVotes:
    day, g1, g2, g3, g4, g5, d1, d2, d3, d4, d5, changes = row
    return DayOfVotes(day, (g1, g2, g3, g4, g5), (d1, d2, d3, d4, d5), changes)


def _ranked(row: aiosqlite.Row) -> RankedArticle:
    _, article, votes, average, ranked, _, _, title, url, _ = row
    return RankedArticle(article, title, url, votes, average, ranked)
