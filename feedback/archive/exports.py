"""What the dashboard's exports stream: rows read in pages by key, so that the first of them
goes out at once, whatever the archive's size. Times are [from_ms, to_ms), unix milliseconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from feedback.archive.comments import APPROVED
from feedback.archive.connection import Database

_PAGE = 1000

RATINGS_COLUMNS = (
    "article", "title", "url", "votes", "average", "score_1", "score_2", "score_3", "score_4", "score_5", "comments",
)  # fmt: skip
EVENTS_COLUMNS = ("at", "article", "reader", "old_score", "new_score", "suspect", "review")
COMMENTS_COLUMNS = ("id", "created_at", "article", "author", "body", "status")


class Exports:
    def __init__(self, database: Database) -> None:
        self._database = database

    def ratings(self, site: str, from_ms: int, to_ms: int) -> AsyncIterator[tuple[Any, ...]]:
        """Per article (by id), its counted votes last changed within the range."""
        return self._pages(
            "SELECT v.article, a.title, a.url, count(*), avg(v.score), sum(v.score = 1), sum(v.score = 2), "
            "sum(v.score = 3), sum(v.score = 4), sum(v.score = 5), "
            f"(SELECT count(*) FROM comments AS c WHERE c.site = v.site AND c.article = v.article AND {APPROVED}) "
            "FROM votes AS v LEFT JOIN articles AS a ON a.site = v.site AND a.article = v.article "
            "WHERE v.site = ? AND v.article > ? AND v.score IS NOT NULL AND NOT v.suspect "
            "AND v.updated_at >= ? AND v.updated_at < ? GROUP BY v.article ORDER BY v.article LIMIT ?",
            site, "", from_ms, to_ms,
        )  # fmt: skip

    async def events(self, site: str, from_ms: int, to_ms: int) -> AsyncIterator[tuple[Any, ...]]:
        """Every change of a vote within the range, oldest first."""
        rows = self._pages(
            "SELECT e.id, e.at, k.article, e.reader, e.old_score, e.new_score, e.suspect, e.review "
            "FROM vote_events AS e CROSS JOIN article_keys AS k ON k.id = e.article_key "
            "WHERE k.site = ? AND e.id > ? AND e.at >= ? AND e.at < ? ORDER BY e.id LIMIT ?",
            site, 0, from_ms, to_ms,
        )  # fmt: skip
        async for row in rows:
            yield row[1:]

    def comments(self, site: str, from_ms: int, to_ms: int) -> AsyncIterator[tuple[Any, ...]]:
        """Every comment written within the range, oldest first."""
        return self._pages(
            "SELECT id, created_at, article, author, body, status FROM comments "
            "WHERE site = ? AND id > ? AND created_at >= ? AND created_at < ? ORDER BY id LIMIT ?",
            site, "", from_ms, to_ms,
        )  # fmt: skip

    async def _pages(
        self, sql: str, site: str, start: object, from_ms: int, to_ms: int
    ) -> AsyncIterator[tuple[Any, ...]]:
        """The rows of `sql` page by page: its parameters are the site, the key the page starts
        after (the first column of the last row), the range and the page size."""
        after = start
        while True:
            rows = await self._database.fetch(sql, (site, after, from_ms, to_ms, _PAGE))
            for row in rows:
                yield tuple(row)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]
