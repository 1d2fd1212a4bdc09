"""The `comments` table: readers' comments and editors' decisions on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass, replace

import aiosqlite

from feedback import json
from feedback.archive.articles import save_article_infos
from feedback.archive.connection import Database, now_ms
from feedback.archive.stale import mark_stale
from feedback.models import ArticleAbout, ArticleInfo, Comment, CommentStatus

APPROVED = "status = 'approved'"
"""What a public count of comments counts."""
APPROVED_OF_ARTICLE = f"site = ? AND article = ? AND {APPROVED}"
"""The condition of an article's approved comments (parameters: site, article)."""

_COLUMNS = "id, site, article, reader, author, body, status, created_at"


_Decisions = dict[str, CommentStatus | None]
"""Editors' decisions on comments SQLite does not have yet, by id (None: deleted)."""


@dataclass(frozen=True)
class StoredPage:
    comments: list[Comment]
    unflushed: list[Comment]
    """Of the comments read from Redis, those SQLite does not have yet, as editors decided."""
    approved: int


async def insert_comments(connection: aiosqlite.Connection, comments: Iterable[Comment]) -> None:
    """Inside a transaction: store new comments, as editors decided on them while they waited in
    Redis; one stored already keeps its (moderated) state."""
    comments = list(comments)
    if not comments:
        return
    ids = [comment.id for comment in comments]
    rows = await connection.execute_fetchall(
        f"SELECT id, status, decided_at FROM comment_decisions WHERE id IN ({_placeholders(ids)})", ids
    )
    decided_at = {comment_id: at for comment_id, _, at in rows}
    if decided_at:
        decided = {comment_id: status for comment_id, status, _ in rows}
        await connection.execute(f"DELETE FROM comment_decisions WHERE id IN ({_placeholders(decided)})", list(decided))
        # Redis counted the comment's approval by its status when posted: recounted after this flush.
        touched = {(comment.site, comment.article) for comment in comments if comment.id in decided}
        await mark_stale(connection, touched, votes_changed=False)
        comments = _as_decided(comments, decided)
    await connection.executemany(
        f"INSERT INTO comments ({_COLUMNS}, moderated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO NOTHING",
        (
            (c.id, c.site, c.article, c.reader, c.author, c.body, c.status, c.created_at_ms, decided_at.get(c.id))
            for c in comments
        ),
    )


def _as_decided(comments: Iterable[Comment], decided: _Decisions) -> list[Comment]:
    """The comments with editors' decisions on them applied: a deleted one left out."""
    shown = []
    for comment in comments:
        if comment.id not in decided:
            shown.append(comment)
        elif (status := decided[comment.id]) is not None:
            shown.append(replace(comment, status=status))
    return shown


class Comments:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def approved_count(self, site: str, article: str) -> int:
        rows = await self._database.fetch(f"SELECT count(*) FROM comments WHERE {APPROVED_OF_ARTICLE}", (site, article))
        count: int = rows[0][0]
        return count

    async def page(
        self, site: str, article: str, before: str | None, limit: int, reader: str | None, unflushed: Sequence[Comment]
    ) -> StoredPage:
        """Newest first: approved comments (and `reader`'s own not yet public ones) older than
        the comment `before`; which of the `unflushed` ones (read from Redis) it does not have
        yet; the approved count. All from one snapshot, so that a flush committing meanwhile
        cannot show a comment twice or hide it."""
        async with self._database.snapshot() as connection:
            rows = await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM comments WHERE site = ? AND article = ? AND id < ? "
                "AND (status = 'approved' OR (reader = ? AND status IN ('pending', 'spam'))) "
                "ORDER BY id DESC LIMIT ?",
                (site, article, before or "~", reader or "", limit),
            )
            not_stored = await _not_stored(connection, unflushed)
            counts = await connection.execute_fetchall(
                f"SELECT count(*) FROM comments WHERE {APPROVED_OF_ARTICLE}", (site, article)
            )
        return StoredPage([_comment(row) for row in rows], not_stored, next(iter(counts))[0])

    async def not_stored(self, unflushed: Sequence[Comment]) -> list[Comment]:
        """Of comments read from Redis, those SQLite does not have yet, as editors decided."""
        async with self._database.snapshot() as connection:
            return await _not_stored(connection, unflushed)

    async def waiting(self, site: str, unflushed: Sequence[Comment]) -> int:
        """How many of a site's comments wait for an editor: pending in SQLite, or pending among
        the `unflushed` ones (read from Redis) that it does not have yet; one snapshot."""
        async with self._database.snapshot() as connection:
            rows = await connection.execute_fetchall(
                "SELECT count(*) FROM comments WHERE site = ? AND status = 'pending'", (site,)
            )
            not_stored = await _not_stored(connection, unflushed)
        stored: int = next(iter(rows))[0]
        return stored + sum(comment.status == "pending" for comment in not_stored)

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

    async def moderate(
        self,
        ids: Sequence[str],
        status: CommentStatus | None,
        site: str | None = None,
        unflushed: Sequence[Comment] = (),
    ) -> list[str]:
        """Set the status of comments (None deletes them), of `site` only when given; returns
        the ids found. A comment SQLite does not have yet but `unflushed` (read from Redis)
        holds gets the decision when the flusher brings it.

        Their articles' approved counts change, so Redis's copies of them are marked stale."""
        decided_at = now_ms()
        async with self._database.transaction() as connection:
            rows = await connection.execute_fetchall(
                f"SELECT id, site, article FROM comments WHERE id IN ({_placeholders(ids)}) "
                "AND (? IS NULL OR site = ?)",
                (*ids, site, site),
            )
            found = [comment_id for comment_id, _, _ in rows]
            if status is None:
                await connection.execute(f"DELETE FROM comments WHERE id IN ({_placeholders(found)})", found)
            else:
                await connection.execute(
                    f"UPDATE comments SET status = ?, moderated_at = ? WHERE id IN ({_placeholders(found)})",
                    (status, decided_at, *found),
                )
            wanted = set(ids) - set(found)
            ahead = [c for c in await _not_stored(connection, unflushed) if c.id in wanted and site in (None, c.site)]
            await connection.executemany(
                "INSERT INTO comment_decisions (id, site, article, status, decided_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at",
                ((comment.id, comment.site, comment.article, status, decided_at) for comment in ahead),
            )
            touched = {(row_site, article) for _, row_site, article in rows}
            await mark_stale(connection, touched | {(c.site, c.article) for c in ahead}, votes_changed=False)
        return found + [comment.id for comment in ahead]

    async def record_direct(self, comment: Comment, about: ArticleAbout | None) -> None:
        """Store a comment that could not go through Redis, and mark Redis's copy of its article stale."""
        async with self._database.transaction() as connection:
            await insert_comments(connection, (comment,))
            if about is not None:
                info = ArticleInfo(comment.site, comment.article, about, comment.created_at_ms)
                await save_article_infos(connection, [info])
            await mark_stale(connection, [(comment.site, comment.article)], votes_changed=False)


async def _not_stored(connection: aiosqlite.Connection, unflushed: Sequence[Comment]) -> list[Comment]:
    if not unflushed:
        return []
    # One parameter however many: a flusher that was stopped may leave thousands waiting.
    ids = json.dumps([comment.id for comment in unflushed])
    stored = await connection.execute_fetchall(
        "SELECT id FROM comments WHERE id IN (SELECT value FROM json_each(?))", (ids,)
    )
    decisions = await connection.execute_fetchall(
        "SELECT id, status FROM comment_decisions WHERE id IN (SELECT value FROM json_each(?))", (ids,)
    )
    known = {comment_id for (comment_id,) in stored}
    decided = {comment_id: status for comment_id, status in decisions}
    return _as_decided((c for c in unflushed if c.id not in known), decided)


def _placeholders(values: Sized) -> str:
    return ", ".join("?" * len(values))


def _comment(row: aiosqlite.Row) -> Comment:
    comment_id, site, article, reader, author, body, status, created_at = row
    return Comment(comment_id, site, article, reader, author, body, status, created_at)
