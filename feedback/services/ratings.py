"""Votes and summaries: Redis first, SQLite when Redis cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence

from feedback.archive import Archive
from feedback.errors import RateLimited
from feedback.hot import REDIS_DOWN, RedisClock
from feedback.metrics import Metrics
from feedback.models import ArticleRead, Summary, VoteChange, VoteEvent, version_from_parts
from feedback.services.hot_requests import RedisFirst


class Ratings:
    def __init__(self, *, archive: Archive, hot: RedisFirst, clock: RedisClock, metrics: Metrics | None = None) -> None:
        self._archive = archive
        self._hot = hot
        self._clock = clock
        self._metrics = metrics

    async def change_vote(self, change: VoteChange) -> Summary:
        """Set or withdraw one reader's vote; returns the article's summary after it.

        Raises RateLimited when the reader or their address votes too often, ArticleBusy when
        the article could not be loaded."""
        outcome = await self._hot.vote(change)
        metrics = self._metrics
        if outcome is REDIS_DOWN:
            # Without Redis there are no limits to check: an outage must not block readers.
            await self._archive.votes.record_direct(_direct_event(change, self._clock.now_ns()))
            if metrics is not None:
                metrics.direct_votes.inc()
                metrics.votes.inc()
            return await self._summary_in_archive(ArticleRead(change.site, change.article, None), change.score)
        if outcome.retry_after_ms:
            if metrics is not None:
                metrics.rate_limited_votes.inc()
            raise RateLimited("votes", outcome.retry_after_ms)
        if metrics is not None:
            metrics.votes.inc()
            if outcome.capped:
                metrics.reader_cap_hits.inc()
        return Summary(change.site, change.article, outcome.histogram, outcome.comments, change.score)

    async def summaries(self, site: str, articles: Sequence[str], reader: str | None = None) -> list[Summary]:
        """Summaries of articles of one site, in order; with `reader`, that reader's score too."""
        reads = [ArticleRead(site, article, reader) for article in articles]
        summaries = await self._hot.summaries(reads)
        if summaries is REDIS_DOWN:
            return [await self._summary_in_archive(read) for read in reads]
        return summaries

    async def _summary_in_archive(self, read: ArticleRead, reader_score: int | None = None) -> Summary:
        histogram = await self._archive.votes.histogram(read.site, read.article)
        comments = await self._archive.comments.approved_count(read.site, read.article)
        if read.reader:
            reader_score = await self._archive.votes.reader_score(read.site, read.article, read.reader)
        return Summary(read.site, read.article, histogram, comments, reader_score)


def _direct_event(change: VoteChange, now_ns: int) -> VoteEvent:
    milliseconds, nanoseconds_within = divmod(now_ns, 1_000_000)
    # Within one millisecond, nanoseconds (< 2**20) order direct writes as stream sequences do.
    return VoteEvent(change, version_from_parts(milliseconds, nanoseconds_within), milliseconds)
