"""Votes and summaries: Redis first, SQLite when Redis cannot be reached.

Exactness rests on one rule: an article is either hot (its whole state in Redis) or cold (its
whole state in SQLite, nothing pending). A cold article is loaded before it is served from Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from feedback.archive import Archive
from feedback.models import Histogram, VoteChange, VoteEvent, version_from_parts
from feedback.store import REDIS_UNAVAILABLE, Store

log = logging.getLogger(__name__)

# After a failed Redis call, how long requests go straight to SQLite before trying Redis again.
_REDIS_RETRY_SECONDS = 1.0
# A cold load is retried when the flusher moved on while SQLite was read; it rarely takes two.
_LOAD_ATTEMPTS = 20

T = TypeVar("T")


@dataclass(frozen=True)
class Summary:
    site: str
    article: str
    histogram: Histogram
    reader_score: int | None = None


class Ratings:
    def __init__(self, store: Store | None, archive: Archive) -> None:
        self._store = store
        self._archive = archive
        self._redis_retry_at = 0.0
        self._redis_down = False

    async def change_vote(self, change: VoteChange) -> Summary:
        """Set or withdraw one reader's vote; returns the article's summary after it."""
        histogram = await self._via_redis(lambda store: self._vote_in_redis(store, change))
        if histogram is None:
            await self._archive.record_direct_vote(_direct_event(change))
            histogram = await self._archive.histogram(change.site, change.article)
        return Summary(change.site, change.article, histogram, change.score)

    async def summaries(self, site: str, articles: Sequence[str], reader: str | None = None) -> list[Summary]:
        """Summaries of articles of one site, in order; with `reader`, that reader's score too."""
        summaries = await self._via_redis(lambda store: self._summaries_in_redis(store, site, articles, reader))
        if summaries is None:
            summaries = [await self._summary_in_archive(site, article, reader) for article in articles]
        return summaries

    async def _vote_in_redis(self, store: Store, change: VoteChange) -> Histogram:
        for _ in range(3):
            (histogram,) = await store.apply_votes([change])
            if histogram is not None:
                return histogram
            await self._load(store, change.site, change.article)
        raise RuntimeError(f"article {change.article!r} of {change.site!r} did not stay loaded")

    async def _summaries_in_redis(
        self, store: Store, site: str, articles: Sequence[str], reader: str | None
    ) -> list[Summary]:
        views = await store.read_articles(site, articles, reader)
        cold = [article for article, view in zip(articles, views, strict=True) if view is None]
        if cold:
            for article in dict.fromkeys(cold):
                await self._load(store, site, article)
            views = await store.read_articles(site, articles, reader)
        summaries = []
        for article, view in zip(articles, views, strict=True):
            if view is None:
                raise RuntimeError(f"article {article!r} of {site!r} did not stay loaded")
            summaries.append(Summary(site, article, view.histogram, view.reader_score))
        return summaries

    async def _load(self, store: Store, site: str, article: str) -> None:
        shard, _ = store.locate(site, article)
        for _ in range(_LOAD_ATTEMPTS):
            state = await self._archive.article_state(site, article, shard.shard)
            if await store.load_article(site, article, state):
                return
        raise RuntimeError(f"could not load article {article!r} of {site!r}: the flusher kept moving")

    async def _summary_in_archive(self, site: str, article: str, reader: str | None) -> Summary:
        histogram = await self._archive.histogram(site, article)
        mine = await self._archive.reader_score(site, article, reader) if reader else None
        return Summary(site, article, histogram, mine)

    async def _via_redis(self, operation: Callable[[Store], Awaitable[T]]) -> T | None:
        """Run `operation` against Redis; None when Redis is unavailable (then use SQLite)."""
        if self._store is None or time.monotonic() < self._redis_retry_at:
            return None
        try:
            result = await operation(self._store)
        except REDIS_UNAVAILABLE as error:
            self._redis_retry_at = time.monotonic() + _REDIS_RETRY_SECONDS
            if not self._redis_down:
                log.warning("Redis is unreachable (%s): votes go straight to SQLite until it answers", error)
                self._redis_down = True
            return None
        if self._redis_down:
            log.warning("Redis answers again: votes go through Redis")
            self._redis_down = False
        return result


def _direct_event(change: VoteChange) -> VoteEvent:
    now_ns = time.time_ns()
    milliseconds, nanoseconds_within = divmod(now_ns, 1_000_000)
    # Within one millisecond, nanoseconds (< 2**20) order direct writes as stream sequences do.
    return VoteEvent(change, version_from_parts(milliseconds, nanoseconds_within), milliseconds)
