"""What Redis copies of an article, read from SQLite together with its shard's flush position
in one snapshot: Redis accepts the copy only if no flush has moved on since."""

from __future__ import annotations

from feedback.archive.comments import APPROVED_OF_ARTICLE
from feedback.archive.connection import Database
from feedback.models import ApprovedCount, ArticleState


class Snapshots:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def article_state(self, site: str, article: str, shard: int) -> ArticleState:
        """Current votes and approved comments of an article and the flush position of its shard."""
        # One statement reads one consistent snapshot, without holding a transaction open.
        rows = await self._database.fetch(
            "SELECT 'vote', reader, score, suspect FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL "
            "UNION ALL SELECT 'position', epoch, last_id, NULL FROM flush_positions WHERE shard = ? "
            f"UNION ALL SELECT 'comments', count(*), NULL, NULL FROM comments WHERE {APPROVED_OF_ARTICLE}",
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

    async def approved_count(self, site: str, article: str, shard: int) -> ApprovedCount:
        """An article's approved comments, and the flush position of its shard."""
        rows = await self._database.fetch(
            "SELECT count(*), (SELECT epoch FROM flush_positions WHERE shard = ?), "
            "(SELECT last_id FROM flush_positions WHERE shard = ?) "
            f"FROM comments WHERE {APPROVED_OF_ARTICLE}",
            (shard, shard, site, article),
        )
        approved, epoch, last_id = rows[0]
        return ApprovedCount(approved, epoch, last_id)
