"""The durable SQLite archive: the schema lives in `migrations`, every query lives here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import aiosqlite

from feedback import json
from feedback.archive.migrations import all_migrations
from feedback.models import ArticleState, Comment, CommentStatus, Histogram, Site, VoteEvent

_BUSY_TIMEOUT_MS = 10_000

# Applies a batch of vote events (already in the temp table `incoming`, ordered by `seq`): events
# not newer than the stored vote are ignored, which makes a replayed batch change nothing; each
# remaining event that changes a score is logged with the score it replaced.
_LOG_EVENTS = """
INSERT INTO vote_events (site, article, reader, old_score, new_score, at, suspect)
SELECT site, article, reader, old_score, score, at, suspect FROM (
    SELECT i.seq, i.site, i.article, i.reader, i.score, i.at, i.suspect,
           LAG(i.score, 1, v.score) OVER (PARTITION BY i.site, i.article, i.reader ORDER BY i.seq) AS old_score
    FROM incoming AS i
    LEFT JOIN votes AS v ON v.site = i.site AND v.article = i.article AND v.reader = i.reader
    WHERE v.version IS NULL OR i.version > v.version
)
WHERE old_score IS NOT score
ORDER BY seq
"""

_UPSERT_LATEST = """
INSERT INTO votes (site, article, reader, score, version, updated_at, suspect)
SELECT site, article, reader, score, version, at, suspect FROM (
    SELECT site, article, reader, score, version, at, suspect, max(seq)
    FROM incoming GROUP BY site, article, reader
) WHERE true
ON CONFLICT (site, article, reader) DO UPDATE
SET score = excluded.score, version = excluded.version, updated_at = excluded.updated_at, suspect = excluded.suspect
WHERE excluded.version > votes.version
"""


class Archive:
    """One aiosqlite connection; its transactions are serialized by a lock."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> Archive:
        """Open (creating file and schema when missing) the archive at `path`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        archive = cls(connection)
        await archive._migrate()
        return archive

    async def close(self) -> None:
        await self._connection.close()

    async def __aenter__(self) -> Archive:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _migrate(self) -> None:
        for migration in all_migrations():
            async with self._transaction():
                rows = await self._connection.execute_fetchall("PRAGMA user_version")
                if next(iter(rows))[0] >= migration.version:
                    continue
                for statement in migration.statements:
                    await self._connection.execute(statement)
                await self._connection.execute(f"PRAGMA user_version = {migration.version}")

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._lock:
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                yield
            except BaseException:
                # Also when cancelled while BEGIN waited for the lock: it may still have begun.
                if self._connection.in_transaction:
                    await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def _fetch(self, sql: str, parameters: Sequence[object] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._connection.execute_fetchall(sql, parameters))

    # Sites

    async def save_site(self, site: Site) -> None:
        async with self._transaction():
            await self._connection.execute(
                "INSERT INTO sites (id, origins, moderation, blocked_words, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET origins = excluded.origins, moderation = excluded.moderation, "
                "blocked_words = excluded.blocked_words",
                (
                    site.id,
                    json.dumps(list(site.origins)).decode(),
                    site.moderation,
                    json.dumps(list(site.blocked_words)).decode(),
                    _now_ms(),
                ),
            )

    async def sites(self) -> list[Site]:
        rows = await self._fetch("SELECT id, origins, moderation, blocked_words FROM sites ORDER BY id")
        return [
            Site(site_id, tuple(json.loads(origins)), moderation, tuple(json.loads(blocked_words)))
            for site_id, origins, moderation, blocked_words in rows
        ]

    # Votes

    async def histogram(self, site: str, article: str) -> Histogram:
        rows = await self._fetch(
            "SELECT score, count(*) FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL AND NOT suspect "
            "GROUP BY score",
            (site, article),
        )
        counts: dict[int, int] = {score: votes for score, votes in rows}
        return (counts.get(1, 0), counts.get(2, 0), counts.get(3, 0), counts.get(4, 0), counts.get(5, 0))

    async def reader_score(self, site: str, article: str, reader: str) -> int | None:
        rows = await self._fetch(
            "SELECT score FROM votes WHERE site = ? AND article = ? AND reader = ?", (site, article, reader)
        )
        return rows[0][0] if rows else None

    async def approved_comments(self, site: str, article: str) -> int:
        rows = await self._fetch(
            "SELECT count(*) FROM comments WHERE site = ? AND article = ? AND status = 'approved'", (site, article)
        )
        count: int = rows[0][0]
        return count

    async def article_state(self, site: str, article: str, shard: int) -> ArticleState:
        """Current votes and approved comments of an article and the flush position of its
        shard, from one snapshot."""
        # One statement reads one consistent snapshot, without holding a transaction open.
        rows = await self._fetch(
            "SELECT 'vote', reader, score, suspect FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL "
            "UNION ALL SELECT 'position', epoch, last_id, NULL FROM flush_positions WHERE shard = ? "
            "UNION ALL SELECT 'comments', count(*), NULL, NULL FROM comments "
            "WHERE site = ? AND article = ? AND status = 'approved'",
            (site, article, shard, site, article),
        )
        scores: dict[str, int] = {}
        suspect_scores: dict[str, int] = {}
        epoch = last_id = None
        comments = 0
        for kind, first, second, suspect in rows:
            if kind == "vote":
                (suspect_scores if suspect else scores)[first] = second
            elif kind == "position":
                epoch, last_id = first, second
            else:
                comments = first
        return ArticleState(scores, epoch, last_id, suspect_scores, comments)

    async def record_direct_vote(self, event: VoteEvent) -> None:
        """Store a vote that could not go through Redis, and mark Redis's copy of its article stale.

        Without Redis no cap is checked, but a suspect vote stays suspect when changed."""
        change = event.change
        async with self._transaction():
            rows = await self._connection.execute_fetchall(
                "SELECT suspect FROM votes WHERE site = ? AND article = ? AND reader = ? AND score IS NOT NULL",
                (change.site, change.article, change.reader),
            )
            if any(suspect for (suspect,) in rows):
                event = replace(event, change=replace(change, suspect=True))
            await self._apply((event,))
            await self._mark_stale([(event.change.site, event.change.article)], votes_changed=True)

    async def record_direct_comment(self, comment: Comment) -> None:
        """Store a comment that could not go through Redis, and mark Redis's copy of its article stale."""
        async with self._transaction():
            await self._insert_comments((comment,))
            await self._mark_stale([(comment.site, comment.article)], votes_changed=False)

    async def apply_flushed_events(
        self, shard: int, epoch: str, last_id: str, votes: Iterable[VoteEvent], comments: Iterable[Comment]
    ) -> None:
        """Apply events read from a shard's stream and record how far they reach, atomically."""
        async with self._transaction():
            await self._apply(votes)
            await self._insert_comments(comments)
            await self._connection.execute(
                "INSERT INTO flush_positions (shard, epoch, last_id) VALUES (?, ?, ?) "
                "ON CONFLICT (shard) DO UPDATE SET epoch = excluded.epoch, last_id = excluded.last_id",
                (shard, epoch, last_id),
            )

    async def flush_position(self, shard: int) -> tuple[str, str] | None:
        rows = await self._fetch("SELECT epoch, last_id FROM flush_positions WHERE shard = ?", (shard,))
        return (rows[0][0], rows[0][1]) if rows else None

    async def stale_articles(self) -> list[tuple[str, str, int, bool]]:
        """Each stale article, its mark, and whether its votes changed (or only its comments)."""
        rows = await self._fetch("SELECT site, article, mark, votes_changed FROM stale_articles")
        return [(site, article, mark, bool(votes_changed)) for site, article, mark, votes_changed in rows]

    async def approved_comments_at(self, site: str, article: str, shard: int) -> tuple[int, str | None, str | None]:
        """An article's approved comments, and the flush position of its shard, from one snapshot."""
        rows = await self._fetch(
            "SELECT count(*), (SELECT epoch FROM flush_positions WHERE shard = ?), "
            "(SELECT last_id FROM flush_positions WHERE shard = ?) "
            "FROM comments WHERE site = ? AND article = ? AND status = 'approved'",
            (shard, shard, site, article),
        )
        approved, epoch, last_id = rows[0]
        return approved, epoch, last_id

    async def forget_stale_article(self, site: str, article: str, mark: int) -> None:
        """Forget a stale article unless it was changed behind Redis's back again since `mark`."""
        async with self._transaction():
            await self._connection.execute(
                "DELETE FROM stale_articles WHERE site = ? AND article = ? AND mark = ?", (site, article, mark)
            )

    async def _mark_stale(self, articles: Iterable[tuple[str, str]], votes_changed: bool) -> None:
        """Inside a transaction: Redis's copy of these articles no longer matches SQLite, in
        their votes (it must be dropped) or only in their approved comments (a recount will do)."""
        await self._connection.executemany(
            "INSERT INTO stale_articles (site, article, mark, votes_changed) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (site, article) DO UPDATE SET mark = mark + 1, "
            "votes_changed = max(votes_changed, excluded.votes_changed)",
            ((site, article, votes_changed) for site, article in articles),
        )

    # Comments

    async def comments_page(
        self, site: str, article: str, before: str | None, limit: int, reader: str | None, ids: Sequence[str]
    ) -> StoredPage:
        """Newest first: approved comments (and `reader`'s own not yet public ones) older than
        the comment `before`; which of the comments `ids` are stored; the approved count. All
        from one snapshot, so that a flush committing meanwhile cannot show a comment twice or
        hide it."""
        async with self._lock:
            await self._connection.execute("BEGIN")
            try:
                rows = await self._connection.execute_fetchall(
                    f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE site = ? AND article = ? AND id < ? "
                    "AND (status = 'approved' OR (reader = ? AND status IN ('pending', 'spam'))) "
                    "ORDER BY id DESC LIMIT ?",
                    (site, article, before or "~", reader or "", limit),
                )
                found = await self._connection.execute_fetchall(
                    f"SELECT id FROM comments WHERE id IN ({', '.join('?' * len(ids))})", ids
                )
                counts = await self._connection.execute_fetchall(
                    "SELECT count(*) FROM comments WHERE site = ? AND article = ? AND status = 'approved'",
                    (site, article),
                )
            finally:
                await self._connection.execute("COMMIT")
        return StoredPage(
            [_comment(row) for row in rows], {comment_id for (comment_id,) in found}, next(iter(counts))[0]
        )

    async def comments(
        self, site: str, status: CommentStatus | None, article: str | None, before: str | None, limit: int
    ) -> list[Comment]:
        """A site's comments for editors, newest first, optionally of one status or article."""
        conditions = ["site = ?", "id < ?"]
        parameters: list[object] = [site, before or "~"]
        if status is not None:
            conditions.append("status = ?")
            parameters.append(status)
        if article is not None:
            conditions.append("article = ?")
            parameters.append(article)
        rows = await self._fetch(
            f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT ?",
            (*parameters, limit),
        )
        return [_comment(row) for row in rows]

    async def moderate_comments(self, ids: Sequence[str], status: CommentStatus | None) -> list[str]:
        """Set the status of comments (None deletes them); returns the ids found.

        Their articles' approved counts change, so Redis's copies of them are marked stale."""
        async with self._transaction():
            placeholders = ", ".join("?" * len(ids))
            rows = await self._connection.execute_fetchall(
                f"SELECT id, site, article FROM comments WHERE id IN ({placeholders})", ids
            )
            if status is None:
                await self._connection.execute(f"DELETE FROM comments WHERE id IN ({placeholders})", ids)
            else:
                await self._connection.execute(
                    f"UPDATE comments SET status = ?, moderated_at = ? WHERE id IN ({placeholders})",
                    (status, _now_ms(), *ids),
                )
            await self._mark_stale({(site, article) for _, site, article in rows}, votes_changed=False)
        return [comment_id for comment_id, _, _ in rows]

    async def _insert_comments(self, comments: Iterable[Comment]) -> None:
        """Inside a transaction: store new comments; one stored already keeps its (moderated) state."""
        await self._connection.executemany(
            f"INSERT INTO comments ({_COMMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            ((c.id, c.site, c.article, c.reader, c.author, c.body, c.status, c.created_at_ms) for c in comments),
        )

    async def _apply(self, events: Iterable[VoteEvent]) -> None:
        """Inside a transaction: apply vote events in order, newest version per reader winning."""
        await self._connection.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming (seq INTEGER PRIMARY KEY, site TEXT, article TEXT, "
            "reader TEXT, score INTEGER, version INTEGER, at INTEGER, suspect INTEGER)"
        )
        await self._connection.execute("DELETE FROM incoming")
        await self._connection.executemany(
            "INSERT INTO incoming (site, article, reader, score, version, at, suspect) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (e.change.site, e.change.article, e.change.reader, e.change.score, e.version, e.at_ms, e.change.suspect)
                for e in events
            ),
        )
        await self._connection.execute(_LOG_EVENTS)
        await self._connection.execute(_UPSERT_LATEST)


_COMMENT_COLUMNS = "id, site, article, reader, author, body, status, created_at"


@dataclass(frozen=True)
class StoredPage:
    comments: list[Comment]
    stored_ids: set[str]
    approved: int


def _comment(row: aiosqlite.Row) -> Comment:
    comment_id, site, article, reader, author, body, status, created_at = row
    return Comment(comment_id, site, article, reader, author, body, status, created_at)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
