"""The one place the long-lived parts of a server, and a flusher, are built from the settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from feedback.archive import Archive, restore_unfinished_marker
from feedback.errors import RestoreUnfinished
from feedback.hot import REDIS_UNAVAILABLE, HotStore, RedisClock, RedisGate, VoteLimits, connect
from feedback.metrics import Metrics
from feedback.services.accounts import Accounts
from feedback.services.addresses import AddressHasher
from feedback.services.article_report import ArticleReports
from feedback.services.comments import Comments
from feedback.services.flusher import Flusher, run_periodically
from feedback.services.health import HealthChecks
from feedback.services.hot_requests import HotRequests, RedisFirst, WithoutRedis
from feedback.services.moderation import CommentModeration
from feedback.services.overview import SiteOverview
from feedback.services.ratings import Ratings
from feedback.services.reports import SiteReports
from feedback.services.sites import SiteAdmin, SiteRegistry
from feedback.services.suspects import SuspectReview
from feedback.settings import Settings, redacted_url

log = logging.getLogger(__name__)


def hot_store(settings: Settings) -> HotStore:
    """The Redis side for `settings` (which must name a Redis); nothing is connected yet."""
    return HotStore(
        connect(settings.redis_url),
        shards=settings.redis_shards,
        vote_limits=VoteLimits(rate=settings.vote_rate, readers_per_address=settings.readers_per_address),
        comment_rate=settings.comment_rate,
    )


def build_flusher(settings: Settings, store: HotStore, archive: Archive) -> Flusher:
    return Flusher(
        store=store,
        archive=archive,
        lease_seconds=settings.flush_lease_seconds,
        idle_article_seconds=settings.idle_article_seconds,
    )


def refuse_after_unfinished_restore(settings: Settings) -> None:
    """Raises RestoreUnfinished when a restore put a backup in place but did not bring Redis in
    line with it (a crash, Redis gone meanwhile): Redis's copies may count votes the restored
    archive lacks, so neither the server nor a flusher may start."""
    if settings.redis_url and restore_unfinished_marker(settings.database_path).exists():
        raise RestoreUnfinished(
            f"a restore of {settings.database_path} did not finish: Redis may count votes the restored archive "
            "lacks; run `python -m feedback restore --redis-only` first"
        )


@contextlib.asynccontextmanager
async def standalone_flusher(settings: Settings) -> AsyncIterator[Flusher]:
    """A flusher with connections of its own, as `python -m feedback flush` runs it."""
    refuse_after_unfinished_restore(settings)
    store = hot_store(settings)
    try:
        async with await Archive.open(settings.database_path) as archive:
            yield build_flusher(settings, store, archive)
    finally:
        await store.redis.aclose()


async def flush_until_stopped(settings: Settings) -> int | None:
    """Flush every FEEDBACK_FLUSH_SECONDS until SIGINT or SIGTERM, then everything pending (as
    `python -m feedback flush --watch`, and `serve`'s flusher process, run): the events of that
    last flush, or None when another flusher kept the lease."""
    metrics = Metrics(settings.metrics_multiprocess_dir, worker=False) if settings.metrics else None
    async with standalone_flusher(settings) as flusher:
        stop = asyncio.Event()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(stop_signal, stop.set)
        await run_periodically(flusher, settings.flush_seconds, stop, metrics)
        return await flusher.flush_all(wait_seconds=settings.flush_lease_seconds + 1)


@contextlib.asynccontextmanager
async def standalone_moderation(settings: Settings) -> AsyncIterator[CommentModeration]:
    """Comment moderation with connections of its own, as `python -m feedback comments` runs it:
    comments still waiting in Redis are listed and decided on too."""
    store = hot_store(settings) if settings.redis_url else None
    try:
        async with await Archive.open(settings.database_path) as archive:
            hot: RedisFirst = HotRequests(store, archive, RedisGate()) if store is not None else WithoutRedis()
            yield CommentModeration(archive=archive, hot=hot)
    finally:
        if store is not None:
            await store.redis.aclose()


class Services:
    """The long-lived parts of a running server, started and stopped together."""

    def __init__(
        self, *, settings: Settings, archive: Archive, store: HotStore | None, flusher: Flusher | None
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.store = store
        self.flusher = flusher
        self.metrics = Metrics(settings.metrics_multiprocess_dir) if settings.metrics else None
        """None when FEEDBACK_METRICS is off: nothing is counted."""
        hot: RedisFirst = (
            HotRequests(store, archive, RedisGate(), self.metrics) if store is not None else WithoutRedis()
        )
        self.clock = RedisClock(store.redis if store is not None else None)
        self.sites = SiteRegistry(archive)
        self.site_admin = SiteAdmin(archive)
        self.ratings = Ratings(archive=archive, hot=hot, clock=self.clock, metrics=self.metrics)
        self.comments = Comments(archive=archive, hot=hot, metrics=self.metrics)
        self.moderation = CommentModeration(archive=archive, hot=hot)
        self.suspects = SuspectReview(archive)
        self.accounts = Accounts(archive)
        self.reports = SiteReports(archive)
        self.overview = SiteOverview(archive)
        self.article_reports = ArticleReports(archive, self.moderation)
        limits = (settings.vote_rate, settings.comment_rate, settings.readers_per_address)
        self.addresses = AddressHasher(hot=hot, secret=settings.secret, enabled=any(limits))
        self.health = HealthChecks(
            store=store,
            archive=archive,
            database_path=settings.database_path,
            max_lag_seconds=settings.ready_max_lag_seconds,
        )
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        refuse_after_unfinished_restore(settings)
        archive = await Archive.open(settings.database_path)
        store = flusher = None
        if not settings.redis_url:
            log.warning("REDIS_URL is empty: votes go straight to SQLite")
        else:
            store = hot_store(settings)
            await _check_redis(store, redacted_url(settings.redis_url))
            # The flusher writes through a connection of its own, so its long transactions never
            # interleave with the requests' queries.
            flusher = build_flusher(settings, store, await Archive.open(settings.database_path))
        services = cls(settings=settings, archive=archive, store=store, flusher=flusher)
        if store is not None:
            services._run(services.clock.keep_measured(services._stopping), "redis-clock")
        if services.metrics is not None:
            services._run(_publish_periodically(services.metrics, services._stopping), "metrics")
        if flusher is not None and settings.flusher_in_server:
            flushing = run_periodically(flusher, settings.flush_seconds, services._stopping, services.metrics)
            services._run(flushing, "flusher")
        if services.addresses.enabled and settings.secret in ("", "change-me"):
            log.warning(
                "FEEDBACK_SECRET is not set: the hashes of client addresses could be reversed by anyone "
                "holding Redis's data files; set it to a long random value"
            )
        return services

    def _run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        """Stop the periodic work, flush what is pending, close connections."""
        self._stopping.set()
        for task in self._tasks:
            await task
        if self.flusher is not None:
            try:
                # Waits for another worker's lease to expire or be released: a SIGTERM to all
                # workers then still ends with every pending vote in SQLite.
                await self.flusher.flush_all(wait_seconds=self.settings.flush_lease_seconds + 1)
            except REDIS_UNAVAILABLE as error:
                log.warning("could not flush on shutdown, Redis is unreachable (%s): votes wait in Redis", error)
            await self.flusher.archive.close()
        if self.store is not None:
            await self.store.redis.aclose()
        await self.archive.close()


async def _publish_periodically(metrics: Metrics, stop: asyncio.Event) -> None:
    """Until `stop` is set, and once more then, for what the last requests counted."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=Metrics.PUBLISH_SECONDS)
        metrics.publish()


async def _check_redis(store: HotStore, url: str) -> None:
    with contextlib.suppress(*REDIS_UNAVAILABLE):
        await store.redis.ping()
        log.info("votes go through Redis at %s", url)
        return
    log.warning("Redis at %s does not answer: votes go straight to SQLite until it does", url)
