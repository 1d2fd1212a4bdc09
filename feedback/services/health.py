"""Readiness: whether this process can do its work now (what `/readyz` answers a load balancer).

Three checks, run together, each bounded in time so that a hung dependency makes a failing
check rather than a hung answer: Redis answers a PING (when one is configured); the archive
takes a write (`archive/probe.py` `WriteProbe`); and the flush lag, the age of the oldest
stream event SQLite has not applied, is under `FEEDBACK_READY_MAX_LAG_SECONDS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from feedback.archive import Archive, ArchiveUnwritable, WriteProbe
from feedback.hot import REDIS_UNAVAILABLE, HotStore, redis_time_ms
from feedback.metrics import FlushBacklog

CHECK_SECONDS = 1.0
"""Each check's bound: load balancers commonly give a probe a second or two."""
# Under CHECK_SECONDS, so that a write lock held too long fails as such rather than as a timeout.
# A flush commits in chunks of milliseconds; only a hung or very long writer holds it this long.
_WRITE_LOCK_WAIT_MS = 500


class CheckFailed(Exception):
    """A check's reason to fail."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)


class HealthChecks:
    def __init__(self, *, store: HotStore | None, archive: Archive, database_path: str, max_lag_seconds: float) -> None:
        self._store = store
        self._archive = archive
        self._write = WriteProbe(database_path, _WRITE_LOCK_WAIT_MS)
        self._max_lag_ms = max_lag_seconds * 1000
        self._write_probe: asyncio.Task[None] | None = None
        self._timed_out: set[asyncio.Task[str]] = set()

    async def readiness(self) -> Readiness:
        checks = await asyncio.gather(
            self._bounded("redis", self._redis),
            self._bounded("sqlite", self._sqlite),
            self._bounded("flush_lag", self._flush_lag),
        )
        return Readiness(tuple(checks))

    async def _bounded(self, name: str, check: Callable[[], Awaitable[str]]) -> Check:
        task = asyncio.ensure_future(check())
        done, _ = await asyncio.wait({task}, timeout=CHECK_SECONDS)
        if not done:
            # Cancelled but not awaited: a call stuck in a thread (SQLite) ends only when it
            # returns, and this answer must not wait for it. Kept referenced until it ends.
            task.cancel()
            self._timed_out.add(task)
            task.add_done_callback(self._timed_out.discard)
            return Check(name, False, f"no answer within {CHECK_SECONDS:g} s")
        try:
            return Check(name, True, task.result())
        except CheckFailed as failure:
            return Check(name, False, str(failure))
        except REDIS_UNAVAILABLE as error:
            return Check(name, False, f"Redis does not answer: {error}")
        except Exception as error:  # whatever else fails, the answer names the check it failed
            return Check(name, False, f"failed: {error!r}")

    async def _redis(self) -> str:
        if self._store is None:
            return "no Redis configured: votes go straight to SQLite"
        await self._store.redis.ping()
        return "answers"

    async def _sqlite(self) -> str:
        # Concurrent probes (several load balancers) share one write; a write still running (a
        # hung disk) is waited on, not repeated, so hung writes do not pile up threads.
        if self._write_probe is None or self._write_probe.done():
            self._write_probe = asyncio.create_task(self._write.write())
            # A write that outlived its check may fail with no one awaiting it: asyncio is not
            # to log that as an error nobody handled (the next check probes again).
            self._write_probe.add_done_callback(_retrieve)
        try:
            await asyncio.shield(self._write_probe)
        except ArchiveUnwritable as error:
            raise CheckFailed(f"the archive does not take a write: {error}") from None
        return "takes a write"

    async def flush_backlog(self) -> FlushBacklog | None:
        """The events waiting to be flushed, and how long the oldest has; None without Redis, or
        when it does not answer within CHECK_SECONDS."""
        if self._store is None:
            return None
        store = self._store

        async def backlog() -> FlushBacklog:
            pending = sum([await store.streams.length(shard) for shard in range(store.keys.shards)])
            lag_ms = await self._lag_ms(store)
            return FlushBacklog(pending, (lag_ms or 0) / 1000)

        try:
            return await asyncio.wait_for(backlog(), CHECK_SECONDS)
        except (TimeoutError, *REDIS_UNAVAILABLE):
            return None

    async def _flush_lag(self) -> str:
        if self._store is None:
            return "no Redis configured: nothing waits to be flushed"
        lag_ms = await self._lag_ms(self._store)
        if lag_ms is None:
            return "nothing waits to be flushed"
        detail = f"the oldest unflushed event is {lag_ms / 1000:.3f} s old (bound {self._max_lag_ms / 1000:g} s)"
        if lag_ms >= self._max_lag_ms:
            raise CheckFailed(detail)
        return detail

    async def _lag_ms(self, store: HotStore) -> int | None:
        """The age of the oldest stream event SQLite has not applied; None when none waits.

        Both times come from Redis's clock: the oldest pending event's from its stream id, now
        from TIME; this host's clock plays no part."""
        oldest_ms = None
        streams = store.streams
        for shard in range(store.keys.shards):
            epoch = await streams.epoch(shard)
            if epoch is None:
                continue  # nothing was ever voted on through this Redis
            # As the flusher reads it: after what SQLite recorded, or everything in a new epoch.
            position = await self._archive.flush.position(shard)
            after_id = position.last_id if position is not None and position.epoch == epoch else "0-0"
            added_ms = await streams.oldest_pending_ms(shard, after_id)
            if added_ms is not None and (oldest_ms is None or added_ms < oldest_ms):
                oldest_ms = added_ms
        if oldest_ms is None:
            return None
        return max(0, await redis_time_ms(store.redis) - oldest_ms)


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
