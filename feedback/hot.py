"""Running work on articles in Redis: cold articles are loaded from SQLite first, and an
unreachable Redis is reported (then callers use SQLite) and retried a little later.

Exactness rests on one rule: an article is either hot (its whole state in Redis) or cold (its
whole state in SQLite, nothing pending). A cold article is loaded before it is served from Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from feedback.archive import Archive
from feedback.models import ArticleItem
from feedback.store import REDIS_UNAVAILABLE, Store

log = logging.getLogger(__name__)

# After a failed Redis call, how long requests go straight to SQLite before trying Redis again.
_REDIS_RETRY_SECONDS = 1.0
# A cold load is retried when the flusher moved on while SQLite was read; it rarely takes two.
_LOAD_ATTEMPTS = 20

T = TypeVar("T")
R = TypeVar("R")


class HotArticles:
    def __init__(self, store: Store | None, archive: Archive) -> None:
        self.store = store
        self._archive = archive
        self._redis_retry_at = 0.0
        self._redis_down = False

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
        return result

    async def run(
        self, items: Sequence[ArticleItem], run: Callable[[Sequence[ArticleItem]], Awaitable[list[R | None]]]
    ) -> list[R]:
        """Run `items` through Redis; the cold articles' items (None: not run) are run again once
        their articles are loaded, within this call, so that a later batch still comes after."""
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
        assert self.store is not None
        shard = self.store.locate(site, article).shard.shard
        for _ in range(_LOAD_ATTEMPTS):
            stale_drops = await self.store.stale_drops(shard)
            state = await self._archive.article_state(site, article, shard)
            if await self.store.load_article(site, article, state, stale_drops):
                return
        raise RuntimeError(f"could not load article {article!r} of {site!r}: the flusher kept moving")
