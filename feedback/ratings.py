"""Votes and summaries: Redis first, SQLite when Redis cannot be reached.

Exactness rests on one rule: an article is either hot (its whole state in Redis) or cold (its
whole state in SQLite, nothing pending). A cold article is loaded before it is served from Redis.
Concurrent requests are coalesced into one Redis call per batch (group commit); each request is
answered only after Redis acknowledged the batch it travelled in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from feedback.archive import Archive
from feedback.coalescing import Coalescer
from feedback.models import ArticleItem, ArticleRead, Histogram, VoteChange, VoteEvent, version_from_parts
from feedback.store import REDIS_UNAVAILABLE, ArticleView, Store

log = logging.getLogger(__name__)

# Requests per Redis call at most: bounds the time one script call holds Redis (a read
# request names up to 100 articles, a vote one).
MAX_BATCH = 256
MAX_READ_BATCH = 128
# After a failed Redis call, how long requests go straight to SQLite before trying Redis again.
_REDIS_RETRY_SECONDS = 1.0
# A cold load is retried when the flusher moved on while SQLite was read; it rarely takes two.
_LOAD_ATTEMPTS = 20

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
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
        self._votes = Coalescer(self._apply_votes, MAX_BATCH)
        self._reads = Coalescer(self._read_articles, MAX_READ_BATCH)

    async def change_vote(self, change: VoteChange) -> Summary:
        """Set or withdraw one reader's vote; returns the article's summary after it."""
        histogram = await self._via_redis(lambda: self._votes.submit(change))
        if histogram is None:
            await self._archive.record_direct_vote(_direct_event(change))
            histogram = await self._archive.histogram(change.site, change.article)
        return Summary(change.site, change.article, histogram, change.score)

    async def summaries(self, site: str, articles: Sequence[str], reader: str | None = None) -> list[Summary]:
        """Summaries of articles of one site, in order; with `reader`, that reader's score too."""
        reads = [ArticleRead(site, article, reader) for article in articles]
        views = await self._via_redis(lambda: self._reads.submit(reads))
        if views is None:
            return [await self._summary_in_archive(read) for read in reads]
        return [
            Summary(site, article, view.histogram, view.reader_score)
            for article, view in zip(articles, views, strict=True)
        ]

    async def _apply_votes(self, changes: Sequence[VoteChange]) -> list[Histogram]:
        assert self._store is not None
        return await self._hot(changes, self._store.apply_votes)

    async def _read_articles(self, requests: Sequence[Sequence[ArticleRead]]) -> list[list[ArticleView]]:
        """One batch of requests, each for one or more articles: all read in one Redis call."""
        assert self._store is not None
        views = await self._hot([read for reads in requests for read in reads], self._store.read_articles)
        answers = []
        start = 0
        for reads in requests:
            answers.append(views[start : start + len(reads)])
            start += len(reads)
        return answers

    async def _hot(
        self, items: Sequence[ArticleItem], run: Callable[[Sequence[ArticleItem]], Awaitable[list[R | None]]]
    ) -> list[R]:
        """Run `items` through Redis; the cold articles' items (None: not run) are run again once
        their articles are loaded, within this batch, so that the next batch still comes after."""
        results = await run(items)
        for _ in range(3):
            cold = [index for index, result in enumerate(results) if result is None]
            if not cold:
                return [result for result in results if result is not None]
            for site, article in dict.fromkeys((items[index].site, items[index].article) for index in cold):
                await self._load(site, article)
            retried = await run([items[index] for index in cold])
            for index, result in zip(cold, retried, strict=True):
                results[index] = result
        raise RuntimeError("cold articles did not stay loaded")

    async def _load(self, site: str, article: str) -> None:
        assert self._store is not None
        shard = self._store.locate(site, article).shard.shard
        for _ in range(_LOAD_ATTEMPTS):
            state = await self._archive.article_state(site, article, shard)
            if await self._store.load_article(site, article, state):
                return
        raise RuntimeError(f"could not load article {article!r} of {site!r}: the flusher kept moving")

    async def _summary_in_archive(self, read: ArticleRead) -> Summary:
        histogram = await self._archive.histogram(read.site, read.article)
        mine = await self._archive.reader_score(read.site, read.article, read.reader) if read.reader else None
        return Summary(read.site, read.article, histogram, mine)

    async def _via_redis(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        """Run `operation` against Redis; None when Redis is unavailable (then use SQLite)."""
        if self._store is None or time.monotonic() < self._redis_retry_at:
            return None
        try:
            result = await operation()
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
