"""The request path's Redis side: votes and reads batched (group commit), cold articles loaded
inside their batch, and every call behind the availability gate (REDIS_DOWN: use SQLite).

With one batch in flight, batches reach Redis in the order their requests were made (one
reader's successive votes stay in order), and each request is answered only after Redis
acknowledged the batch it travelled in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar, cast

from feedback.archive import Archive
from feedback.errors import ArticleBusy
from feedback.hot import COLD, REDIS_DOWN, Cold, HotStore, RedisDown, RedisGate, VoteOutcome, day_salt
from feedback.metrics import Metrics
from feedback.models import ArticleAbout, ArticleRead, Comment, Summary, VoteChange
from feedback.services.coalescing import Coalescer
from feedback.services.loading import ArticleFenced, ColdLoader

P = ParamSpec("P")
T = TypeVar("T")

# Requests per Redis call at most: bounds the time one script call holds Redis.
MAX_BATCH = 256
MAX_READ_BATCH = 128
# A list page names up to 100 articles. Its batches are smaller, and two are in flight: while
# Redis reads one, the server answers the one before and prepares the next (docs/performance.md).
MAX_LIST_BATCH = 16
LISTS_IN_FLIGHT = 2


class HotRequests:
    def __init__(self, store: HotStore, archive: Archive, gate: RedisGate, metrics: Metrics | None = None) -> None:
        self._store = store
        self._gate = gate
        self._loader = ColdLoader(store, archive, metrics)
        self._votes = Coalescer(self._apply_votes, MAX_BATCH)
        self._reads = Coalescer(self._read_articles, MAX_READ_BATCH)
        self._lists = Coalescer(self._read_articles, MAX_LIST_BATCH, max_in_flight=LISTS_IN_FLIGHT)

    async def vote(self, change: VoteChange) -> VoteOutcome | RedisDown:
        """Apply one vote change in the next batch. Raises ArticleBusy."""
        return await self._unless_fenced(self._votes.submit, change)

    async def summaries(self, reads: Sequence[ArticleRead]) -> list[Summary] | RedisDown:
        """Read the articles in the next batch (of single reads, or of list pages). Raises ArticleBusy."""
        coalescer = self._reads if len(reads) == 1 else self._lists
        return await self._unless_fenced(coalescer.submit, reads)

    async def add_comment(self, comment: Comment, address: str, about: ArticleAbout | None) -> int | RedisDown:
        """Add a comment (the ms to wait when over the rate limit, else 0). Raises ArticleBusy."""
        return await self._unless_fenced(self._add_comment, comment, address, about)

    async def _unless_fenced(
        self, operation: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T | RedisDown:
        """`operation` behind the gate; REDIS_DOWN too for an article whose copy in Redis is fenced
        (ArticleFenced): its request uses SQLite, as during an outage, until the flusher has
        dropped the copy."""
        try:
            return await self._gate.call(operation, *args, **kwargs)
        except ArticleFenced:
            return REDIS_DOWN

    async def unflushed_comments(self, site: str, article: str) -> list[Comment] | RedisDown:
        return await self._gate.call(self._store.comments.unflushed, site, article)

    async def unflushed_comments_of_site(self, site: str | None) -> list[Comment] | RedisDown:
        return await self._gate.call(self._store.comments.unflushed_of_site, site)

    async def day_salt(self, day: int, expires_at: int) -> str | RedisDown:
        return await self._gate.call(day_salt, self._store.redis, day, expires_at)

    async def _apply_votes(self, changes: Sequence[VoteChange]) -> list[VoteOutcome | ArticleBusy]:
        """One batch of votes: one script call, and more only for cold articles."""
        outcomes = await self._store.votes.apply(changes)
        if any(outcome is COLD for outcome in outcomes):
            return await self._loader.retry_cold(changes, outcomes, self._store.votes.apply)
        return cast(list[VoteOutcome | ArticleBusy], outcomes)  # the usual case: every article was hot

    async def _read_articles(self, requests: Sequence[Sequence[ArticleRead]]) -> list[list[Summary] | ArticleBusy]:
        """One batch of requests, each for one or more articles: all read in one Redis call. A
        request with an article that could not be loaded fails, the others not."""
        reads = [read for request in requests for read in request]
        summaries: Sequence[Summary | Cold | ArticleBusy] = await self._store.votes.read(reads)
        failed = False
        if any(summary is COLD for summary in summaries):
            summaries = await self._loader.retry_cold(reads, summaries, self._store.votes.read)
            failed = any(isinstance(summary, ArticleBusy) for summary in summaries)
        answers: list[list[Summary] | ArticleBusy] = []
        start = 0
        for request in requests:
            mine = summaries[start : start + len(request)]
            failure = next((s for s in mine if isinstance(s, ArticleBusy)), None) if failed else None
            answers.append(failure if failure is not None else cast(list[Summary], mine))
            start += len(request)
        return answers

    async def _add_comment(self, comment: Comment, address: str, about: ArticleAbout | None) -> int:
        async def add(comments: Sequence[Comment]) -> list[int | Cold]:
            return [await self._store.comments.add(one, address, about) for one in comments]

        (wait_ms,) = await self._loader.retry_cold([comment], await add([comment]), add)
        if isinstance(wait_ms, ArticleBusy):
            raise wait_ms
        return wait_ms


class WithoutRedis:
    """The request path's Redis side when no Redis is configured (`REDIS_URL=`): every call
    answers REDIS_DOWN, and the services use SQLite."""

    async def vote(self, change: VoteChange) -> VoteOutcome | RedisDown:
        return REDIS_DOWN

    async def summaries(self, reads: Sequence[ArticleRead]) -> list[Summary] | RedisDown:
        return REDIS_DOWN

    async def add_comment(self, comment: Comment, address: str, about: ArticleAbout | None) -> int | RedisDown:
        return REDIS_DOWN

    async def unflushed_comments(self, site: str, article: str) -> list[Comment] | RedisDown:
        return REDIS_DOWN

    async def unflushed_comments_of_site(self, site: str | None) -> list[Comment] | RedisDown:
        return REDIS_DOWN

    async def day_salt(self, day: int, expires_at: int) -> str | RedisDown:
        return REDIS_DOWN


RedisFirst = HotRequests | WithoutRedis
"""What the services take Redis's part of a request from."""
