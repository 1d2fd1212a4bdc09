"""The `comments` table: readers' comments and editors' decisions on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from feedback.archive.articles import save_article_infos
from feedback.archive.connection import Database, now_ms
from feedback.archive.stale import mark_stale
from feedback.models import ArticleAbout, ArticleInfo, Comment, CommentStatus

APPROVED = "status = 'approved'"
"""What a public count of comments counts."""
APPROVED_OF_ARTICLE = f"site = ? AND article = ? AND {APPROVED}"
"""The condition of an article's approved comments (parameters: site, article)."""

_COLUMNS = "id, site, article, reader, author, body, status, created_at"


@dataclass(frozen=True)
class StoredPage:
    comments: list[Comment]
    stored_ids: set[str]
    approved: int


async def insert_comments(connection: aiosqlite.Connection, comments: Iterable[Comment]) -> None:
    """Inside a transaction: store new comments; one stored already keeps its (moderated) state."""
    await connection.executemany(
        f"INSERT INTO comments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        ((c.id, c.site, c.article, c.reader, c.author, c.body, c.status, c.created_at_ms) for c in comments),
    )


class Comments:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def approved_count(self, site: str, article: str) -> int:
        rows = await self._database.fetch(f"SELECT count(*) FROM comments WHERE {APPROVED_OF_ARTICLE}", (site, article))
        count: int = rows[0][0]
        return count

    async def page(
        self, site: str, article: str, before: str | None, limit: int, reader: str | None, ids: Sequence[str]
    ) -> StoredPage:
        """Newest first: approved comments (and `reader`'s own not yet public ones) older than
        the comment `before`; which of the comments `ids` are stored; the approved count. All
        from one snapshot, so that a flush committing meanwhile cannot show a comment twice or
        hide it."""
        async with self._database.snapshot() as connection:
            rows = await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND article = ? AND id < ? "
                "AND (status = 'approved' OR (reader = ? AND status IN ('pending', 'spam'))) "
                "ORDER BY id DESC LIMIT ?",
                (site, article, before or "~", reader or "", limit),
            )
            found = await connection.execute_fetchall(
                f"SELECT id FROM comments WHERE id IN ({', '.join('?' * len(ids))})", ids
            )
            counts = await connection.execute_fetchall(
                f"SELECT count(*) FROM comments WHERE {APPROVED_OF_ARTICLE}", (site, article)
            )
        return StoredPage(
            [_comment(row) for row in rows], {comment_id for (comment_id,) in found}, next(iter(counts))[0]
        )

    async def count(self, site: str, status: CommentStatus) -> int:
        rows = await self._database.fetch("SELECT count(*) FROM comments WHERE site = ? AND status = ?", (site, status))
        count: int = rows[0][0]
        return count

    async def for_editors(
        self, site: str, status: CommentStatus | None, article: str | None, before: str | None, limit: int
    ) -> list[Comment]:
        """A site's comments, newest first, optionally of one status or article."""
        conditions = ["site = ?", "id < ?"]
        parameters: list[object] = [site, before or "~"]
        if status is not None:
            conditions.append("status = ?")
            parameters.append(status)
        if article is not None:
            conditions.append("article = ?")
            parameters.append(article)
        rows = await self._database.fetch(
            f"SELECT {_COLUMNS} FROM comments WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT ?",
            (*parameters, limit),
        )
        return [_comment(row) for row in rows]

    async def moderate(self, ids: Sequence[str], status: CommentStatus | None, site: str | None = None) -> list[str]:
        """Set the status of comments (None deletes them), of `site` only when given; returns
        the ids found.

        Their articles' approved counts change, so Redis's copies of them are marked stale."""
        async with self._database.transaction() as connection:
            rows = await connection.execute_fetchall(
                f"SELECT id, site, article FROM comments WHERE id IN ({', '.join('?' * len(ids))}) "
                "AND (? IS NULL OR site = ?)",
                (*ids, site, site),
            )
            found = [comment_id for comment_id, _, _ in rows]
            placeholders = ", ".join("?" * len(found))
            if status is None:
                await connection.execute(f"DELETE FROM comments WHERE id IN ({placeholders})", found)
            else:
                await connection.execute(
                    f"UPDATE comments SET status = ?, moderated_at = ? WHERE id IN ({placeholders})",
                    (status, now_ms(), *found),
                )
            await mark_stale(connection, {(row_site, article) for _, row_site, article in rows}, votes_changed=False)
        return found

    async def record_direct(self, comment: Comment, about: ArticleAbout | None) -> None:
        """Store a comment that could not go through Redis, and mark Redis's copy of its article stale."""
        async with self._database.transaction() as connection:
            await insert_comments(connection, (comment,))
            if about is not None:
                info = ArticleInfo(comment.site, comment.article, about, comment.created_at_ms)
                await save_article_infos(connection, [info])
            await mark_stale(connection, [(comment.site, comment.article)], votes_changed=False)


def _comment(row: aiosqlite.Row) -> Comment:
    comment_id, site, article, reader, author, body, status, created_at = row
    return Comment(comment_id, site, article, reader, author, body, status, created_at)
