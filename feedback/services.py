"""The long-lived parts of a running server, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from feedback.archive import Archive
from feedback.comments import Comments
from feedback.flusher import Flusher, run_periodically
from feedback.hot import HotArticles
from feedback.privacy import AddressHasher
from feedback.ratings import Ratings
from feedback.settings import Settings
from feedback.sites import SiteRegistry
from feedback.store import REDIS_UNAVAILABLE, Store, connect

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    archive: Archive
    sites: SiteRegistry
    ratings: Ratings
    comments: Comments
    addresses: AddressHasher
    redis: Redis | None
    flusher: Flusher | None
    _flusher_archive: Archive | None
    _flusher_task: asyncio.Task[None] | None
    _stop_flushing: asyncio.Event

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        archive = await Archive.open(settings.database_path)
        redis = store = flusher = flusher_archive = task = None
        stop = asyncio.Event()
        if not settings.redis_url:
            log.warning("REDIS_URL is empty: votes go straight to SQLite")
        else:
            redis = connect(settings.redis_url)
            store = Store(redis, settings.redis_shards)
            await _check_redis(redis, settings.redis_url)
            # The flusher writes through a connection of its own, so its long transactions never
            # interleave with the requests' queries.
            flusher_archive = await Archive.open(settings.database_path)
            flusher = Flusher(store, flusher_archive, settings.flush_lease_seconds, settings.idle_article_seconds)
            if settings.flusher_in_server:
                task = asyncio.create_task(run_periodically(flusher, settings.flush_seconds, stop), name="flusher")
        hot = HotArticles(store, archive)
        limits = (settings.vote_rate, settings.comment_rate, settings.readers_per_address)
        if any(limits) and settings.secret in ("", "change-me"):
            log.warning(
                "FEEDBACK_SECRET is not set: the hashes of client addresses could be reversed by anyone "
                "holding Redis's data files; set it to a long random value"
            )
        return cls(
            settings,
            archive,
            SiteRegistry(archive),
            Ratings(hot, archive, settings.vote_rate, settings.readers_per_address),
            Comments(hot, archive, settings.comment_rate),
            AddressHasher(hot, settings.secret, settings.trusted_proxies, enabled=any(limits)),
            redis,
            flusher,
            flusher_archive,
            task,
            stop,
        )

    async def stop(self) -> None:
        """Stop the periodic flusher, flush what is pending, close connections."""
        self._stop_flushing.set()
        if self._flusher_task is not None:
            await self._flusher_task
        if self.flusher is not None:
            try:
                # Waits for another worker's lease to expire or be released: a SIGTERM to all
                # workers then still ends with every pending vote in SQLite.
                await self.flusher.flush_all(wait_seconds=self.settings.flush_lease_seconds + 1)
            except REDIS_UNAVAILABLE as error:
                log.warning("could not flush on shutdown, Redis is unreachable (%s): votes wait in Redis", error)
        if self.redis is not None:
            await self.redis.aclose()
        if self._flusher_archive is not None:
            await self._flusher_archive.close()
        await self.archive.close()


async def _check_redis(redis: Redis, url: str) -> None:
    with contextlib.suppress(*REDIS_UNAVAILABLE):
        await redis.ping()
        log.info("votes go through Redis at %s", url)
        return
    log.warning("Redis at %s does not answer: votes go straight to SQLite until it does", url)
