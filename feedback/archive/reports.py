"""Figures for the dashboard, read from the archive (as of the last flush)."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.archive.connection import Database


@dataclass(frozen=True)
class SiteFigures:
    site: str
    votes: int
    average: float | None
    articles: int
    comments_by_status: dict[str, int]


@dataclass(frozen=True)
class DayOfVotes:
    day: int
    """UTC day: unix milliseconds // 86,400,000."""
    deltas: tuple[int, int, int, int, int]
    """How each score's count of counted votes changed that day."""
    changes: int


class Reports:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def site_figures(self, site: str) -> SiteFigures:
        rows = await self._database.fetch(
            "SELECT 'votes', count(*), avg(score), count(DISTINCT article) FROM votes "
            "WHERE site = ? AND score IS NOT NULL AND NOT suspect "
            "UNION ALL SELECT status, count(*), NULL, NULL FROM comments WHERE site = ? GROUP BY status",
            (site, site),
        )
        (_, votes, average, articles), *statuses = rows
        return SiteFigures(site, votes, average, articles, {status: count for status, count, _, _ in statuses})

    async def days(self, site: str, article: str, first_day: int, last_day: int) -> list[DayOfVotes]:
        """An article's per-day changes, oldest first, from the aggregates the flusher keeps."""
        rows = await self._database.fetch(
            "SELECT day, delta_1, delta_2, delta_3, delta_4, delta_5, changes FROM daily_votes "
            "WHERE site = ? AND article = ? AND day BETWEEN ? AND ? ORDER BY day",
            (site, article, first_day, last_day),
        )
        return [
            DayOfVotes(day, (one, two, three, four, five), changes)
            for day, one, two, three, four, five, changes in rows
        ]
