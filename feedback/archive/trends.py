"""How readers' verdicts move over a site's local days, from the per-day aggregates the flusher
keeps (`daily_votes` per article, `site_days` per site): never a scan of the event log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiosqlite

from feedback.archive.connection import Database
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
            "SELECT at, reader, old_score, new_score, suspect FROM vote_events "
            "WHERE site = ? AND article = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?",
            (site, article, before_ms, limit),
        )
        return [
            VoteChangeLogged(at, hashlib.sha256(reader.encode()).hexdigest()[:8], old, new, bool(suspect))
            for at, reader, old, new, suspect in rows
        ]

    async def best_and_worst(
        self, site: str, first_day: int, last_day: int, limit: int
    ) -> tuple[list[RankedArticle], list[RankedArticle]]:
        """The articles readers rated best and worst in these days, by the Bayesian average of
        the votes given then."""
        # The period's articles are summed once (materialized), each list is a top-N of them (no
        # full sort), and titles are joined to the listed ones only; the mean comes from site_days.
        rows = await self._database.fetch(
            "WITH period AS MATERIALIZED (SELECT article, sum(votes) AS votes, sum(points) AS points "
            "FROM daily_votes WHERE site = ? AND day BETWEEN ? AND ? GROUP BY article HAVING votes > 0), "
            f"mean AS (SELECT coalesce(1.0 * sum({_POINTS}) / sum({_VOTES}), 3.0) AS m FROM site_days "
            "WHERE site = ? AND day BETWEEN ? AND ?), "
            "ranked AS MATERIALIZED (SELECT article, votes, 1.0 * points / votes AS average, "
            f"({PRIOR_VOTES} * m + points) / ({PRIOR_VOTES} + votes) AS ranked FROM period CROSS JOIN mean), "
            "listed AS (SELECT * FROM (SELECT 1 AS best, * FROM ranked ORDER BY ranked DESC, votes DESC, article "
            "LIMIT ?) UNION ALL SELECT * FROM (SELECT 0, * FROM ranked ORDER BY ranked ASC, votes DESC, article "
            "LIMIT ?)) "
            "SELECT l.article, a.title, a.url, votes, average, ranked, best, (SELECT count(*) FROM ranked) "
            "FROM listed AS l LEFT JOIN articles AS a ON a.site = ? AND a.article = l.article",
            (site, first_day, last_day, site, first_day, last_day, limit, limit, site),
        )
        # With fewer than twice `limit` articles rated, each is listed once: the better half as best.
        rated = rows[0][7] if rows else 0
        best_count = min(limit, -(-rated // 2))
        worst_count = min(limit, rated - best_count)
        best = [row for row in rows if row[6]][:best_count]
        worst = [row for row in rows if not row[6]][:worst_count]
        return [_ranked(row) for row in best], [_ranked(row) for row in worst]

    async def movers(self, site: str, first_day: int, last_day: int, limit: int) -> list[Mover]:
        """The articles whose Bayesian average of the votes given in these days moved most from
        the as many days before, among those rated in both (and not those it did not move)."""
        before = first_day - (last_day - first_day + 1)
        # One pass over both periods; FILTER costs less per row than multiplying by a condition.
        now, then = f"FILTER (WHERE day >= {int(first_day)})", f"FILTER (WHERE day < {int(first_day)})"
        rows = await self._database.fetch(
            f"WITH both_periods AS MATERIALIZED (SELECT article, sum(votes) {now} AS votes, "
            f"sum(points) {now} AS points, sum(votes) {then} AS votes_before, "
            f"sum(points) {then} AS points_before FROM daily_votes "
            "WHERE site = ? AND day BETWEEN ? AND ? GROUP BY article HAVING votes > 0 AND votes_before > 0), "
            "mean AS (SELECT coalesce(1.0 * sum(points + points_before) / sum(votes + votes_before), 3.0) AS m "
            "FROM both_periods), "
            f"moved AS (SELECT * FROM (SELECT *, ({PRIOR_VOTES} * m + points) / ({PRIOR_VOTES} + votes) "
            f"- ({PRIOR_VOTES} * m + points_before) / ({PRIOR_VOTES} + votes_before) AS change "
            "FROM both_periods CROSS JOIN mean) WHERE abs(change) > 1e-9 ORDER BY abs(change) DESC, article LIMIT ?) "
            "SELECT o.article, a.title, a.url, votes_before, 1.0 * points_before / votes_before, "
            "votes, 1.0 * points / votes, change FROM moved AS o "
            "LEFT JOIN articles AS a ON a.site = ? AND a.article = o.article ORDER BY abs(change) DESC, o.article",
            (site, before, last_day, limit, site),
        )
        return [Mover(*row) for row in rows]

    async def most_discussed(self, site: str, from_ms: int, to_ms: int, limit: int) -> list[Discussed]:
        """The articles readers commented on most in [from_ms, to_ms), spam aside."""
        rows = await self._database.fetch(
            "SELECT c.article, a.title, a.url, count(*) AS comments FROM comments AS c "
            "LEFT JOIN articles AS a ON a.site = c.site AND a.article = c.article "
            "WHERE c.site = ? AND c.status IN ('pending', 'approved', 'rejected') AND c.id >= ? AND c.id < ? "
            "GROUP BY c.article ORDER BY comments DESC, c.article LIMIT ?",
            (site, _comment_id_at(from_ms), _comment_id_at(to_ms), limit),
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


def _comment_id_at(milliseconds: int) -> str:
    # A comment id begins with its creation time, 12 hex digits (services/comments.py).
    return f"{max(0, milliseconds):012x}"


def _day(row: aiosqlite.Row) -> DayOfVotes:
    day, g1, g2, g3, g4, g5, d1, d2, d3, d4, d5, changes = row
    return DayOfVotes(day, (g1, g2, g3, g4, g5), (d1, d2, d3, d4, d5), changes)


def _ranked(row: aiosqlite.Row) -> RankedArticle:
    article, title, url, votes, average, ranked, *_ = row
    return RankedArticle(article, title, url, votes, average, ranked)
