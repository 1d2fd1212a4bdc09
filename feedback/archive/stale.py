"""The `stale_articles` table: articles changed in SQLite behind Redis's back, whose copy in
Redis must be dropped (their votes changed) or recounted (only their approved comments did)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from feedback.archive.connection import Database


@dataclass(frozen=True)
class StaleArticle:
    site: str
    article: str
    mark: int
    """Bumped by every change behind Redis's back: forgetting it is refused once it moved on."""
    votes_changed: bool
    """False when only its approved comments changed."""


async def mark_stale(
    connection: aiosqlite.Connection, articles: Iterable[tuple[str, str]], votes_changed: bool
) -> None:
    """Inside a transaction: Redis's copy of these articles no longer matches SQLite."""
    await connection.executemany(
        "INSERT INTO stale_articles (site, article, mark, votes_changed) VALUES (?, ?, 1, ?) "
        "ON CONFLICT (site, article) DO UPDATE SET mark = mark + 1, "
        "votes_changed = max(votes_changed, excluded.votes_changed)",
        ((site, article, votes_changed) for site, article in articles),
    )


class StaleArticles:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def all(self) -> list[StaleArticle]:
        rows = await self._database.fetch("SELECT site, article, mark, votes_changed FROM stale_articles")
        return [StaleArticle(site, article, mark, bool(votes_changed)) for site, article, mark, votes_changed in rows]

    async def changed_since(self, at_ms: int) -> list[tuple[str, str]]:
        """The articles voted or commented on at `at_ms` or later (by Redis's clock, as their
        events were stamped). Reads the whole event log: for the rare Redis that came back with
        less than it had (`services/resuming.py`), not for a request."""
        rows = await self._database.fetch(
            "SELECT k.site, k.article FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key "
            "WHERE e.at >= ? "
            "UNION SELECT site, article FROM comments WHERE id >= ?",
            (at_ms, f"{max(0, at_ms):012x}"),
        )
        return [(site, article) for site, article in rows]

    async def mark(self, articles: Iterable[tuple[str, str]]) -> None:
        """Redis's copy of these articles may lack votes SQLite has: drop it."""
        async with self._database.transaction() as connection:
            await mark_stale(connection, articles, votes_changed=True)

    async def forget(self, stale: StaleArticle) -> None:
        """Forget a stale article unless it was changed behind Redis's back again since."""
        async with self._database.transaction() as connection:
            await connection.execute(
                "DELETE FROM stale_articles WHERE site = ? AND article = ? AND mark = ?",
                (stale.site, stale.article, stale.mark),
            )
