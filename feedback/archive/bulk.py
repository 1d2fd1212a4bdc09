"""Writing many events straight into the archive, as the flusher applies them but without a
stream position: for seeding an archive (`python -m feedback seed`)."""

from __future__ import annotations

from collections.abc import Sequence

from feedback.archive.articles import save_article_infos
from feedback.archive.comments import insert_comments
from feedback.archive.connection import Database
from feedback.archive.stale import mark_stale
from feedback.archive.votes import apply_vote_events
from feedback.models import ArticleInfo, Comment, VoteEvent


class BulkWrites:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def apply(
        self, votes: Sequence[VoteEvent], comments: Sequence[Comment], articles: Sequence[ArticleInfo]
    ) -> None:
        """Apply events in one transaction through the flusher's own statements, so that every
        aggregate stays exact; the articles they touch are marked stale, as after a vote written
        while Redis was down, so that a copy Redis holds is dropped before it is served again."""
        touched = {(e.change.site, e.change.article) for e in votes} | {(c.site, c.article) for c in comments}
        async with self._database.transaction() as connection:
            await apply_vote_events(connection, votes)
            await insert_comments(connection, comments)
            await save_article_infos(connection, articles)
            await mark_stale(connection, sorted(touched), votes_changed=True)
