"""What the dashboard shows and exports of a site, read from the archive (as of the last flush)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from feedback.archive import Archive
from feedback.archive.exports import COMMENTS_COLUMNS, EVENTS_COLUMNS, RATINGS_COLUMNS
from feedback.archive.reports import ArticleRow, SiteFigures

Export = Literal["ratings", "events", "comments"]


class SiteReports:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def figures(self, site: str) -> SiteFigures:
        return await self._archive.reports.site_figures(site)

    async def articles(
        self, site: str, search: str, order: str, page: int, per_page: int
    ) -> tuple[list[ArticleRow], int]:
        """A page (from 1) of the site's rated articles, and how many match."""
        return await self._archive.article_list.page(site, search, order, per_page, (page - 1) * per_page)

    def export(
        self, what: Export, site: str, from_ms: int, to_ms: int
    ) -> tuple[tuple[str, ...], AsyncIterator[dict[str, Any]]]:
        """The columns of an export, and its rows (plain values: text, numbers, booleans, None)."""
        exports = self._archive.exports
        if what == "ratings":
            return RATINGS_COLUMNS, _records(RATINGS_COLUMNS, exports.ratings(site, from_ms, to_ms), _rating)
        if what == "events":
            return EVENTS_COLUMNS, _records(EVENTS_COLUMNS, exports.events(site, from_ms, to_ms), _event)
        return COMMENTS_COLUMNS, _records(COMMENTS_COLUMNS, exports.comments(site, from_ms, to_ms), _comment)


async def _records(
    columns: tuple[str, ...], rows: AsyncIterator[tuple[Any, ...]], shape: Callable[[tuple[Any, ...]], tuple[Any, ...]]
) -> AsyncIterator[dict[str, Any]]:
    async for row in rows:
        yield dict(zip(columns, shape(row), strict=True))


def _rating(row: tuple[Any, ...]) -> tuple[Any, ...]:
    article, title, url, votes, average, *rest = row
    return (article, title, url, votes, round(average, 2), *rest)


def _event(row: tuple[Any, ...]) -> tuple[Any, ...]:
    at, article, reader, old, new, suspect, review = row
    return (_iso(at), article, reader, old, new, bool(suspect), review)


def _comment(row: tuple[Any, ...]) -> tuple[Any, ...]:
    comment_id, created_at, *rest = row
    return (comment_id, _iso(created_at), *rest)


def _iso(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
