"""Editors' work on comments: listing them and deciding on them (the CLI's, and the dashboard's),
those still waiting in Redis included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from feedback.archive import Archive
from feedback.errors import UnknownSite
from feedback.hot import REDIS_DOWN
from feedback.models import Comment, CommentStatus
from feedback.services.hot_requests import RedisFirst

ModerationAction = Literal["approve", "reject", "spam", "delete"]

STATUS_AFTER: dict[ModerationAction, CommentStatus | None] = {
    "approve": "approved",
    "reject": "rejected",
    "spam": "spam",
    "delete": None,  # gone for good
}
"""What each action makes of a comment."""


class CommentModeration:
    def __init__(self, *, archive: Archive, hot: RedisFirst) -> None:
        self._archive = archive
        self._hot = hot

    async def comments(
        self, site: str, status: CommentStatus | None, article: str | None, before: str | None, limit: int
    ) -> list[Comment]:
        """A site's comments, newest first, optionally of one status or article, those still in
        Redis included. Raises UnknownSite."""
        if await self._archive.sites.get(site) is None:
            raise UnknownSite(site)
        # Redis first: a comment flushed between the two reads is then found in SQLite.
        waiting = await self._in_redis(site)
        stored = await self._archive.comments.for_editors(site, status, article, before, limit)
        newer = [
            comment
            for comment in waiting
            if status in (None, comment.status) and article in (None, comment.article) and (before or "~") > comment.id
        ]
        stored_ids = {comment.id for comment in stored}
        merged = [*stored, *(comment for comment in newer if comment.id not in stored_ids)]
        return sorted(merged, key=lambda comment: comment.id, reverse=True)[:limit]

    async def waiting(self, site: str) -> int:
        """How many comments of the site wait for an editor, in SQLite and still in Redis."""
        unflushed = await self._hot.unflushed_comments_of_site(site)
        return await self._archive.comments.waiting(site, [] if unflushed is REDIS_DOWN else unflushed)

    async def decide(
        self, action: ModerationAction, ids: Sequence[str], actor: str = "cli", site: str | None = None
    ) -> list[str]:
        """Apply `action` to the comments `ids`; the ids found. A decision shows in comment lists
        at once (one on a comment still in Redis too), and in the articles' counts (in Redis)
        after the next flush. With `site`, only that site's comments are touched. Audited."""
        unflushed = await self._hot.unflushed_comments_of_site(site)
        if unflushed is REDIS_DOWN:
            unflushed = []
        found = await self._archive.comments.moderate(list(dict.fromkeys(ids)), STATUS_AFTER[action], site, unflushed)
        if found:
            await self._archive.audit.add(actor, f"comments.{action}", site, {"comments": found})
        return found

    async def _in_redis(self, site: str) -> list[Comment]:
        """The site's comments SQLite does not have yet, as editors decided on them already."""
        unflushed = await self._hot.unflushed_comments_of_site(site)
        if unflushed is REDIS_DOWN:
            return []
        return await self._archive.comments.not_stored(unflushed)
