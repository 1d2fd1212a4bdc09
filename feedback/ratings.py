"""Votes and summaries: Redis first, SQLite when Redis cannot be reached.

Concurrent requests are coalesced into one Redis call per batch (group commit); each request is
answered only after Redis acknowledged the batch it travelled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from feedback.archive import Archive
from feedback.coalescing import Coalescer
from feedback.errors import RateLimited
from feedback.hot import HotArticles, LoadFailed
from feedback.models import ArticleRead, Summary, VoteChange, VoteEvent, version_from_parts
from feedback.settings import Rate
from feedback.store import Outcome

# Requests per Redis call at most: bounds the time one script call holds Redis.
MAX_BATCH = 256
MAX_READ_BATCH = 128
# A list page names up to 100 articles. Its batches are smaller, and two are in flight: while
# Redis reads one, the server answers the one before and prepares the next (measured: a fifth
# more list pages a second than one batch of up to 128 at a time).
MAX_LIST_BATCH = 16
LISTS_IN_FLIGHT = 2


class Ratings:
    def __init__(self, hot: HotArticles, archive: Archive, rate: Rate | None, readers_per_address: int | None) -> None:
        self._hot = hot
        self._archive = archive
        self._rate = rate
        self._readers_per_address = readers_per_address
        self._votes = Coalescer(self._apply_votes, MAX_BATCH)
        self._reads = Coalescer(self._read_articles, MAX_READ_BATCH)
        self._lists = Coalescer(self._read_articles, MAX_LIST_BATCH, max_in_flight=LISTS_IN_FLIGHT)

    async def change_vote(self, change: VoteChange) -> Summary:
        """Set or withdraw one reader's vote; returns the article's summary after it.

        Raises RateLimited when the reader or their address votes too often."""
        outcome = await self._hot.attempt(lambda store: self._votes.submit(change))
        if outcome is None:
            # Without Redis there are no limits to check: an outage must not block readers.
            await self._archive.record_direct_vote(_direct_event(change, self._hot.redis_time_ns()))
            return await self._summary_in_archive(ArticleRead(change.site, change.article, None), change.score)
        if outcome.retry_after_ms:
            raise RateLimited("votes", outcome.retry_after_ms)
        return Summary(change.site, change.article, outcome.histogram, outcome.comments, change.score)

    async def summaries(self, site: str, articles: Sequence[str], reader: str | None = None) -> list[Summary]:
        """Summaries of articles of one site, in order; with `reader`, that reader's score too."""
        reads = [ArticleRead(site, article, reader) for article in articles]
        coalescer = self._reads if len(reads) == 1 else self._lists
        summaries = await self._hot.attempt(lambda store: coalescer.submit(reads))
        if summaries is None:
            return [await self._summary_in_archive(read) for read in reads]
        return summaries

    async def _apply_votes(self, changes: Sequence[VoteChange]) -> list[Outcome | LoadFailed]:
        store = self._hot.store
        assert store is not None
        return await self._hot.run(
            changes, lambda batch: store.apply_votes(batch, self._rate, self._readers_per_address)
        )

    async def _read_articles(self, requests: Sequence[Sequence[ArticleRead]]) -> list[list[Summary] | LoadFailed]:
        """One batch of requests, each for one or more articles: all read in one Redis call. A
        request with an article that could not be loaded fails, the others not."""
        store = self._hot.store
        assert store is not None
        summaries = await self._hot.run([read for reads in requests for read in reads], store.read_articles)
        any_failed = any(isinstance(summary, LoadFailed) for summary in summaries)
        answers: list[list[Summary] | LoadFailed] = []
        start = 0
        for reads in requests:
            mine = summaries[start : start + len(reads)]
            failure = next((s for s in mine if isinstance(s, LoadFailed)), None) if any_failed else None
            answers.append(failure if failure is not None else cast(list[Summary], mine))
            start += len(reads)
        return answers

    async def _summary_in_archive(self, read: ArticleRead, reader_score: int | None = None) -> Summary:
        histogram = await self._archive.histogram(read.site, read.article)
        comments = await self._archive.approved_comments(read.site, read.article)
        if read.reader:
            reader_score = await self._archive.reader_score(read.site, read.article, read.reader)
        return Summary(read.site, read.article, histogram, comments, reader_score)


def _direct_event(change: VoteChange, now_ns: int) -> VoteEvent:
    milliseconds, nanoseconds_within = divmod(now_ns, 1_000_000)
    # Within one millisecond, nanoseconds (< 2**20) order direct writes as stream sequences do.
    return VoteEvent(change, version_from_parts(milliseconds, nanoseconds_within), milliseconds)
