"""The durable SQLite archive: the schema lives in `migrations`, every query lives here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

import aiosqlite

from feedback import json
from feedback.archive.migrations import all_migrations
from feedback.models import ArticleState, Histogram, Site, VoteEvent

_BUSY_TIMEOUT_MS = 10_000

# Applies a batch of vote events (already in the temp table `incoming`, ordered by `seq`): events
# not newer than the stored vote are ignored, which makes a replayed batch change nothing; each
# remaining event that changes a score is logged with the score it replaced.
_LOG_EVENTS = """
INSERT INTO vote_events (site, article, reader, old_score, new_score, at)
SELECT site, article, reader, old_score, score, at FROM (
    SELECT i.seq, i.site, i.article, i.reader, i.score, i.at,
           LAG(i.score, 1, v.score) OVER (PARTITION BY i.site, i.article, i.reader ORDER BY i.seq) AS old_score
    FROM incoming AS i
    LEFT JOIN votes AS v ON v.site = i.site AND v.article = i.article AND v.reader = i.reader
    WHERE v.version IS NULL OR i.version > v.version
)
WHERE old_score IS NOT score
ORDER BY seq
"""

_UPSERT_LATEST = """
INSERT INTO votes (site, article, reader, score, version, updated_at)
SELECT site, article, reader, score, version, at FROM (
    SELECT site, article, reader, score, version, at, max(seq)
    FROM incoming GROUP BY site, article, reader
) WHERE true
ON CONFLICT (site, article, reader) DO UPDATE
SET score = excluded.score, version = excluded.version, updated_at = excluded.updated_at
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
                "INSERT INTO sites (id, origins, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET origins = excluded.origins",
                (site.id, json.dumps(list(site.origins)).decode(), _now_ms()),
            )

    async def sites(self) -> list[Site]:
        rows = await self._fetch("SELECT id, origins FROM sites ORDER BY id")
        return [Site(site_id, tuple(json.loads(origins))) for site_id, origins in rows]

    # Votes

    async def histogram(self, site: str, article: str) -> Histogram:
        rows = await self._fetch(
            "SELECT score, count(*) FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL GROUP BY score",
            (site, article),
        )
        counts: dict[int, int] = {score: votes for score, votes in rows}
        return (counts.get(1, 0), counts.get(2, 0), counts.get(3, 0), counts.get(4, 0), counts.get(5, 0))

    async def reader_score(self, site: str, article: str, reader: str) -> int | None:
        rows = await self._fetch(
            "SELECT score FROM votes WHERE site = ? AND article = ? AND reader = ?", (site, article, reader)
        )
        return rows[0][0] if rows else None

    async def article_state(self, site: str, article: str, shard: int) -> ArticleState:
        """Current votes of an article and the flush position of its shard, from one snapshot."""
        # One statement reads one consistent snapshot, without holding a transaction open.
        rows = await self._fetch(
            "SELECT 'vote', reader, score FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL "
            "UNION ALL SELECT 'position', epoch, last_id FROM flush_positions WHERE shard = ?",
            (site, article, shard),
        )
        scores = {reader: score for kind, reader, score in rows if kind == "vote"}
        position = [(epoch, last_id) for kind, epoch, last_id in rows if kind == "position"]
        epoch, last_id = position[0] if position else (None, None)
        return ArticleState(scores, epoch, last_id)

    async def record_direct_vote(self, event: VoteEvent) -> None:
        """Store a vote that could not go through Redis, and remember its article as written here."""
        change = event.change
        async with self._transaction():
            await self._apply((event,))
            await self._connection.execute(
                "INSERT INTO direct_articles (site, article, mark) VALUES (?, ?, 1) "
                "ON CONFLICT (site, article) DO UPDATE SET mark = mark + 1",
                (change.site, change.article),
            )

    async def apply_flushed_events(self, shard: int, epoch: str, last_id: str, events: Iterable[VoteEvent]) -> None:
        """Apply events read from a shard's stream and record how far they reach, atomically."""
        async with self._transaction():
            await self._apply(events)
            await self._connection.execute(
                "INSERT INTO flush_positions (shard, epoch, last_id) VALUES (?, ?, ?) "
                "ON CONFLICT (shard) DO UPDATE SET epoch = excluded.epoch, last_id = excluded.last_id",
                (shard, epoch, last_id),
            )

    async def flush_position(self, shard: int) -> tuple[str, str] | None:
        rows = await self._fetch("SELECT epoch, last_id FROM flush_positions WHERE shard = ?", (shard,))
        return (rows[0][0], rows[0][1]) if rows else None

    async def direct_articles(self) -> list[tuple[str, str, int]]:
        rows = await self._fetch("SELECT site, article, mark FROM direct_articles")
        return [(site, article, mark) for site, article, mark in rows]

    async def forget_direct_article(self, site: str, article: str, mark: int) -> None:
        """Forget a direct-written article unless it was written directly again since `mark`."""
        async with self._transaction():
            await self._connection.execute(
                "DELETE FROM direct_articles WHERE site = ? AND article = ? AND mark = ?", (site, article, mark)
            )

    async def _apply(self, events: Iterable[VoteEvent]) -> None:
        """Inside a transaction: apply vote events in order, newest version per reader winning."""
        await self._connection.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming (seq INTEGER PRIMARY KEY, site TEXT, article TEXT, "
            "reader TEXT, score INTEGER, version INTEGER, at INTEGER)"
        )
        await self._connection.execute("DELETE FROM incoming")
        await self._connection.executemany(
            "INSERT INTO incoming (site, article, reader, score, version, at) VALUES (?, ?, ?, ?, ?, ?)",
            ((e.change.site, e.change.article, e.change.reader, e.change.score, e.version, e.at_ms) for e in events),
        )
        await self._connection.execute(_LOG_EVENTS)
        await self._connection.execute(_UPSERT_LATEST)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
