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
