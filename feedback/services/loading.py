"""Loading cold articles from SQLite into Redis: the one place where the two storage sides meet on
the request path (the flusher is the other)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, cast

from feedback.archive import Archive
from feedback.errors import ArticleBusy
from feedback.hot import COLD, Cold, HotStore, Load
from feedback.metrics import Metrics
from feedback.models import ArticleItem

log = logging.getLogger(__name__)

# A load is tried again when the flusher moved on while SQLite was read; it rarely takes two.
_LOAD_ATTEMPTS = 20
# How many times a batch's cold items are loaded and run again before giving up (an article
# dropped again at once by a flush, twice over, is rare enough).
_LOAD_ROUNDS = 3

R = TypeVar("R")


class ArticleFenced(ArticleBusy):
    """Redis holds a stale copy of the article until the flusher, its last events flushed, drops
    it (lua/drop.lua): its requests are served from SQLite meanwhile, as when Redis is down, rather
    than wait (inside their batch, they would hold up every other request of it)."""


class ColdLoader:
    def __init__(self, store: HotStore, archive: Archive, metrics: Metrics | None) -> None:
        self._store = store
        self._archive = archive
        self._metrics = metrics

    async def retry_cold(
        self,
        items: Sequence[ArticleItem],
        results: Sequence[R | Cold],
        run: Callable[[Sequence[ArticleItem]], Awaitable[Sequence[R | Cold]]],
    ) -> list[R | ArticleBusy]:
        """`results` of running `items` through Redis, with the items of cold articles run again
        through `run` once their articles are loaded. Within this call, so that a later batch
        still comes after. An article that cannot be loaded fails its own items only."""
        final: list[R | Cold | ArticleBusy] = list(results)
        for _ in range(_LOAD_ROUNDS):
            cold = [index for index, result in enumerate(final) if result is COLD]
            if not cold:
                break
            failures = await self._load_each(dict.fromkeys((items[index].site, items[index].article) for index in cold))
            retry = []
            for index in cold:
                failure = failures.get((items[index].site, items[index].article))
                if failure is None:
                    retry.append(index)
                else:
                    final[index] = failure
            if retry:
                for index, result in zip(retry, await run([items[index] for index in retry]), strict=True):
                    final[index] = result
        if any(result is COLD for result in final):
            raise RuntimeError("cold articles did not stay loaded")
        return cast(list[R | ArticleBusy], final)

    async def _load_each(self, articles: dict[tuple[str, str], None]) -> dict[tuple[str, str], ArticleBusy]:
        """Load each article; the failures, by article."""
        failures: dict[tuple[str, str], ArticleBusy] = {}
        for site, article in articles:
            try:
                await self._load(site, article)
            except ArticleBusy as error:
                failures[site, article] = error
            except sqlite3.Error as error:
                failures[site, article] = ArticleBusy(f"SQLite: {error}")
            if (site, article) in failures:
                log.error("could not load article %r of site %r: %s", article, site, failures[site, article].reason)
        return failures

    async def _load(self, site: str, article: str) -> None:
        shard = self._store.keys.locate(site, article).shard.shard
        for _ in range(_LOAD_ATTEMPTS):
            # The count of stale drops is read first: a drop after it makes Redis refuse the load.
            stale_drops = await self._store.articles.stale_drops(shard)
            state = await self._archive.snapshots.article_state(site, article, shard)
            loaded = await self._store.articles.load(site, article, state, stale_drops)
            if loaded is Load.LOADED:
                if self._metrics is not None:
                    self._metrics.cold_loads.inc()
                return
            if loaded is Load.FENCED:
                raise ArticleFenced(f"Redis's copy of article {article!r} of {site!r} waits for the flusher to drop it")
        raise ArticleBusy(f"SQLite's state of article {article!r} of {site!r} kept changing while it was read")
