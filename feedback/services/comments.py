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
from feedback.hot import REDIS_DOWN
from feedback.metrics import Metrics
from feedback.models import ArticleAbout, Comment, CommentStatus, Site
from feedback.services.hot_requests import RedisFirst


@dataclass(frozen=True)
class CommentPage:
    comments: list[Comment]
    next_before: str | None
    """The cursor of the next (older) page, None on the last one."""
    approved: int
    """How many approved comments the article has in all."""


class Comments:
    def __init__(self, *, archive: Archive, hot: RedisFirst, metrics: Metrics | None = None) -> None:
        self._archive = archive
        self._hot = hot
        self._metrics = metrics

    async def post(
        self,
        site: Site,
        article: str,
        reader: str,
        author: str | None,
        body: str,
        honeypot: bool,
        address: str,
        about: ArticleAbout | None = None,
    ) -> Comment:
        """Store a new comment: spam when it fills the honeypot or holds a blocked word.
        Raises RateLimited, ArticleBusy."""
        status = "spam" if honeypot or _blocked(body, site.blocked_words) else _new_status(site)
        now_ms = time.time_ns() // 1_000_000
        comment = Comment(new_comment_id(now_ms), site.id, article, reader, author, body, status, now_ms)
        wait_ms = await self._hot.add_comment(comment, address, about)
        metrics = self._metrics
        if wait_ms is REDIS_DOWN:
            # Without Redis there are no limits to check: an outage must not block readers.
            await self._archive.comments.record_direct(comment, about)
            if metrics is not None:
                metrics.direct_comments.inc()
        elif wait_ms:
            if metrics is not None:
                metrics.rate_limited_comments.inc()
            raise RateLimited("comments", wait_ms)
        if metrics is not None:
            metrics.comments.inc()
        return comment

    async def page(self, site: str, article: str, limit: int, before: str | None, reader: str | None) -> CommentPage:
        """Approved comments, newest first, older than the comment `before`; with `reader`, that
        reader's own comments not yet public too."""
        # Redis first: a comment flushed between the two reads is then found in SQLite.
        unflushed = await self._hot.unflushed_comments(site, article)
        if unflushed is REDIS_DOWN:
            unflushed = []
        # SQLite's copy wins: an editor may have moderated it already (or decided on it ahead).
        stored = await self._archive.comments.page(site, article, before, limit + 1, reader, unflushed)
        newer = [
            comment
            for comment in stored.unflushed
            if (before is None or comment.id < before) and _visible_to(comment, reader)
        ]
        merged = sorted([*stored.comments, *newer], key=lambda comment: comment.id, reverse=True)
        approved = stored.approved + sum(comment.status == "approved" for comment in stored.unflushed)
        next_before = merged[limit - 1].id if len(merged) > limit else None
        return CommentPage(merged[:limit], next_before, approved)


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
