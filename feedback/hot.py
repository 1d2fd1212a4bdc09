"""Running work on articles in Redis: cold articles are loaded from SQLite first, and an
unreachable Redis is reported (then callers use SQLite) and retried a little later.

Exactness rests on one rule: an article is either hot (its whole state in Redis) or cold (its
whole state in SQLite, nothing pending). A cold article is loaded before it is served from Redis.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, cast

from feedback.archive import Archive
from feedback.errors import ApiError
from feedback.models import ArticleItem
from feedback.store import REDIS_UNAVAILABLE, Store

log = logging.getLogger(__name__)

# After a failed Redis call, how long requests go straight to SQLite before trying Redis again.
_REDIS_RETRY_SECONDS = 1.0
# A cold load is retried when the flusher moved on while SQLite was read; it rarely takes two.
_LOAD_ATTEMPTS = 20
# How often this host's clock is compared with Redis's (clocks drift slowly).
_CLOCK_CHECK_SECONDS = 60.0

T = TypeVar("T")
R = TypeVar("R")


class LoadFailed(ApiError):
    """A cold article could not be loaded into Redis: its requests fail (503, to be tried again),
    the others in their batch not."""

    def __init__(self, reason: str) -> None:
        super().__init__(503, "try_again", "This article is busy; please try again in a moment.", {"Retry-After": "1"})
        self.reason = reason


class HotArticles:
    def __init__(self, store: Store | None, archive: Archive, clock: Callable[[], int] = time.time_ns) -> None:
        self.store = store
        self._archive = archive
        self._redis_retry_at = 0.0
        self._redis_down = False
        self._clock = clock
        self._redis_clock_offset_ns = 0
        self._clock_checked_at = float("-inf")

    def redis_time_ns(self) -> int:
        """Redis's clock as last measured from this host (this host's clock before any measure).

        Votes written to SQLite while Redis is unreachable are versioned by it, so that they
        order right against the votes Redis timestamped, even when the two clocks disagree."""
        return self._clock() + self._redis_clock_offset_ns

    async def attempt(self, operation: Callable[[Store], Awaitable[T]]) -> T | None:
        """Run `operation` against Redis; None when Redis is unavailable (then use SQLite)."""
        if self.store is None or time.monotonic() < self._redis_retry_at:
            return None
        try:
            result = await operation(self.store)
        except REDIS_UNAVAILABLE as error:
            self._redis_retry_at = time.monotonic() + _REDIS_RETRY_SECONDS
            if not self._redis_down:
                log.warning(
                    "Redis is unreachable (%s): votes and comments go straight to SQLite, without rate limits, "
                    "until it answers",
                    error,
                )
                self._redis_down = True
            return None
        if self._redis_down:
            log.warning("Redis answers again: requests go through Redis")
            self._redis_down = False
        if time.monotonic() > self._clock_checked_at + _CLOCK_CHECK_SECONDS:
            self._clock_checked_at = time.monotonic()
            await self._measure_redis_clock(self.store)
        return result

    async def _measure_redis_clock(self, store: Store) -> None:
        before = self._clock()
        try:
            redis_ns = await store.time_ns()
        except REDIS_UNAVAILABLE:
            return  # the next request finds out, and backs off
        after = self._clock()
        self._redis_clock_offset_ns = redis_ns - (before + after) // 2

    async def run(
        self, items: Sequence[ArticleItem], run: Callable[[Sequence[ArticleItem]], Awaitable[list[R | None]]]
    ) -> list[R | LoadFailed]:
        """Run `items` through Redis; the cold articles' items (None: not run) are run again once
        their articles are loaded, within this call, so that a later batch still comes after.
        An article that cannot be loaded fails its own items only (LoadFailed as their result)."""
        results: list[R | LoadFailed | None] = list(await run(items))
        if None not in results:
            return cast(list[R | LoadFailed], results)  # the usual case: every article was hot
        for attempt in range(4):
            cold = [index for index, result in enumerate(results) if result is None]
            if not cold:
                return [result for result in results if result is not None]
            if attempt == 3:
                break
            failed: dict[tuple[str, str], LoadFailed] = {}
            for site, article in dict.fromkeys((items[index].site, items[index].article) for index in cold):
                try:
                    await self._load(site, article)
                except LoadFailed as error:
                    failed[site, article] = error
                except sqlite3.Error as error:
                    failed[site, article] = LoadFailed(f"SQLite: {error}")
                if (site, article) in failed:
                    log.error("could not load article %r of site %r: %s", article, site, failed[site, article].reason)
            for index in cold:
                results[index] = failed.get((items[index].site, items[index].article))
            retry = [index for index in cold if results[index] is None]
            retried = await run([items[index] for index in retry]) if retry else []
            for index, result in zip(retry, retried, strict=True):
                results[index] = result
        raise RuntimeError("cold articles did not stay loaded")

    async def _load(self, site: str, article: str) -> None:
        assert self.store is not None
        shard = self.store.locate(site, article).shard.shard
        for _ in range(_LOAD_ATTEMPTS):
            stale_drops = await self.store.stale_drops(shard)
            state = await self._archive.article_state(site, article, shard)
            if await self.store.load_article(site, article, state, stale_drops):
                return
        raise LoadFailed(f"SQLite's state of article {article!r} of {site!r} kept changing while it was read")
