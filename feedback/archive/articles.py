"""The `articles` table: each article's latest title and address, as its page gave them."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from feedback.archive.connection import Database
from feedback.models import ArticleAbout, ArticleInfo


async def save_article_infos(connection: aiosqlite.Connection, infos: Iterable[ArticleInfo]) -> None:
    """Inside a transaction: keep what is newer than what is stored; a title or address not
    given keeps the one stored."""
    await connection.executemany(
        "INSERT INTO articles (site, article, title, url, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (site, article) DO UPDATE SET title = coalesce(excluded.title, title), "
        "url = coalesce(excluded.url, url), updated_at = excluded.updated_at "
        "WHERE excluded.updated_at >= articles.updated_at",
        ((info.site, info.article, info.about.title, info.about.url, info.at_ms) for info in infos),
    )


class Articles:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def about(self, site: str, article: str) -> ArticleAbout | None:
        rows = await self._database.fetch(
            "SELECT title, url FROM articles WHERE site = ? AND article = ?", (site, article)
        )
        return ArticleAbout(rows[0][0], rows[0][1]) if rows else None
