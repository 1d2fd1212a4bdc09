"""Readers' comments: posted through Redis (SQLite when Redis cannot be reached), read from
both, moderated in SQLite.

A comment waits in Redis, with the article's other events, until the flusher moves it to
SQLite; a page of comments therefore merges the two. An editor's decision changes SQLite, and
marks Redis's copy of the article (its approved count) stale until the flusher drops it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from feedback.archive import Archive
from feedback.errors import RateLimited
from feedback.hot import HotArticles, LoadFailed
from feedback.models import Comment, CommentStatus, Site
from feedback.settings import Rate
from feedback.store import Store


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    next_before: str | None
    """The cursor of the next (older) page, None on the last one."""
    approved: int
    """How many approved comments the article has in all."""


class Comments:
    def __init__(self, hot: HotArticles, archive: Archive, rate: Rate | None) -> None:
        self._hot = hot
        self._archive = archive
        self._rate = rate

    async def post(
        self, site: Site, article: str, reader: str, author: str | None, body: str, honeypot: bool, address: str
    ) -> Comment:
        """Store a new comment: spam when it fills the honeypot or holds a blocked word.
        Raises RateLimited."""
        status = "spam" if honeypot or _blocked(body, site.blocked_words) else _new_status(site)
        now_ms = time.time_ns() // 1_000_000
        comment = Comment(new_comment_id(now_ms), site.id, article, reader, author, body, status, now_ms)
        wait_ms = await self._hot.attempt(lambda store: self._add(store, comment, address))
        if wait_ms is None:
            # Without Redis there are no limits to check: an outage must not block readers.
            await self._archive.record_direct_comment(comment)
        elif wait_ms:
            raise RateLimited("comments", wait_ms)
        return comment

    async def page(self, site: str, article: str, limit: int, before: str | None, reader: str | None) -> CommentPage:
        """Approved comments, newest first, older than the comment `before`; with `reader`, that
        reader's own comments not yet public too."""
        # Redis first: a comment flushed between the two reads is then found in SQLite.
        unflushed = await self._hot.attempt(lambda store: store.unflushed_comments(site, article)) or []
        stored = await self._archive.comments_page(
            site, article, before, limit + 1, reader, [comment.id for comment in unflushed]
        )
        # SQLite's copy wins: an editor may have moderated it already.
        only_in_redis = [comment for comment in unflushed if comment.id not in stored.stored_ids]
        newer = [
            comment
            for comment in only_in_redis
            if (before is None or comment.id < before) and _visible_to(comment, reader)
        ]
        merged = sorted([*stored.comments, *newer], key=lambda comment: comment.id, reverse=True)
        approved = stored.approved + sum(comment.status == "approved" for comment in only_in_redis)
        next_before = merged[limit - 1].id if len(merged) > limit else None
        return CommentPage(merged[:limit], next_before, approved)

    async def _add(self, store: Store, comment: Comment, address: str) -> int:
        async def add(comments: Sequence[Comment]) -> list[int | None]:
            return [await store.add_comment(one, address, self._rate) for one in comments]

        (wait_ms,) = await self._hot.run([comment], add)
        if isinstance(wait_ms, LoadFailed):
            raise wait_ms
        return wait_ms


def status_for_writer(comment: Comment, site: Site) -> CommentStatus:
    """The status a comment's writer sees: spam looks like any other new comment of its site,
    so that a bot learns nothing."""
    return _new_status(site) if comment.status == "spam" else comment.status


def _new_status(site: Site) -> CommentStatus:
    return "approved" if site.moderation == "post" else "pending"


def new_comment_id(now_ms: int) -> str:
    """12 hex digits of milliseconds, then 8 random ones: ids sort by creation time."""
    return f"{now_ms:012x}{secrets.token_hex(4)}"


def _visible_to(comment: Comment, reader: str | None) -> bool:
    return comment.status == "approved" or (comment.reader == reader and comment.status in ("pending", "spam"))


def _blocked(body: str, blocked_words: Sequence[str]) -> bool:
    """Whether `body` holds one of the words (or phrases) as a whole word, ignoring case."""
    text = body.casefold()
    return any(re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", text) for word in blocked_words)
