"""Editors' work on comments: listing them and deciding on them (the CLI's, and the dashboard's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from feedback.archive import Archive
from feedback.errors import UnknownSite
from feedback.models import Comment, CommentStatus

ModerationAction = Literal["approve", "reject", "spam", "delete"]

STATUS_AFTER: dict[ModerationAction, CommentStatus | None] = {
    "approve": "approved",
    "reject": "rejected",
    "spam": "spam",
    "delete": None,  # gone for good
}
"""What each action makes of a comment."""


class CommentModeration:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def comments(
        self, site: str, status: CommentStatus | None, article: str | None, before: str | None, limit: int
    ) -> list[Comment]:
        """A site's comments, newest first, optionally of one status or article. Raises UnknownSite."""
        if await self._archive.sites.get(site) is None:
            raise UnknownSite(site)
        return await self._archive.comments.for_editors(site, status, article, before, limit)

    async def waiting(self, site: str) -> int:
        """How many comments of the site wait for an editor (as of the last flush)."""
        return await self._archive.comments.count(site, "pending")

    async def decide(
        self, action: ModerationAction, ids: Sequence[str], actor: str = "cli", site: str | None = None
    ) -> list[str]:
        """Apply `action` to the comments `ids`; the ids found. A decision shows in comment lists
        at once, and in the articles' counts (in Redis) after the next flush. With `site`, only
        that site's comments are touched. Audited."""
        found = await self._archive.comments.moderate(list(dict.fromkeys(ids)), STATUS_AFTER[action], site)
        if found:
            await self._archive.audit.add(actor, f"comments.{action}", site, {"comments": found})
        return found
