"""The `flush_positions` table, and applying the events a flush read from Redis: both in one
transaction, which is what makes a flush exactly-once (see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feedback.archive.articles import save_article_infos
from feedback.archive.comments import insert_comments
from feedback.archive.connection import Database
from feedback.archive.votes import apply_vote_events
from feedback.models import ArticleInfo, Comment, VoteEvent


@dataclass(frozen=True)
class FlushPosition:
    """The last stream entry of a shard that SQLite has applied."""

    epoch: str
    """The lifetime of the shard's stream it was read in: a wiped Redis starts a new one."""
    last_id: str


class FlushLog:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def apply(
        self,
        shard: int,
        position: FlushPosition,
        votes: Iterable[VoteEvent],
        comments: Iterable[Comment],
        articles: Iterable[ArticleInfo] = (),
    ) -> None:
        """Apply events read from a shard's stream and record how far they reach, atomically."""
        async with self._database.transaction() as connection:
            await apply_vote_events(connection, votes)
            await insert_comments(connection, comments)
            await save_article_infos(connection, articles)
            await connection.execute(
                "INSERT INTO flush_positions (shard, epoch, last_id) VALUES (?, ?, ?) "
                "ON CONFLICT (shard) DO UPDATE SET epoch = excluded.epoch, last_id = excluded.last_id",
                (shard, position.epoch, position.last_id),
            )

    async def position(self, shard: int) -> FlushPosition | None:
        rows = await self._database.fetch("SELECT epoch, last_id FROM flush_positions WHERE shard = ?", (shard,))
        return FlushPosition(rows[0][0], rows[0][1]) if rows else None
