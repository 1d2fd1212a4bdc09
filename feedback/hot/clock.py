"""Redis's clock: the time every vote in Redis is stamped with, and how this host's clock differs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from redis.asyncio import Redis

from feedback.hot.connection import REDIS_UNAVAILABLE

# Clocks drift slowly: how often the offset is measured again, and, while Redis does not
# answer, how soon the next attempt comes.
_MEASURE_SECONDS = 60.0
_RETRY_SECONDS = 1.0


async def redis_time_ns(redis: Redis) -> int:
    seconds, microseconds = await redis.time()
    return (seconds * 1_000_000 + microseconds) * 1000


async def redis_time_ms(redis: Redis) -> int:
    return await redis_time_ns(redis) // 1_000_000


class RedisClock:
    """Redis's clock as last measured from this host (this host's clock before any measure).

    Votes written to SQLite while Redis is unreachable are versioned by it, so that they order
    right against the votes Redis timestamped, even when the two clocks disagree."""

    def __init__(self, redis: Redis | None, host_clock: Callable[[], int] = time.time_ns) -> None:
        self._redis = redis
        self._host_clock = host_clock
        self._offset_ns = 0

    def now_ns(self) -> int:
        return self._host_clock() + self._offset_ns

    async def measure(self) -> bool:
        """Measure the offset again; False when Redis did not answer (the last offset stays)."""
        if self._redis is None:
            return False
        before = self._host_clock()
        try:
            redis_ns = await redis_time_ns(self._redis)
        except REDIS_UNAVAILABLE:
            return False
        after = self._host_clock()
        self._offset_ns = redis_ns - (before + after) // 2
        return True

    async def keep_measured(self, stop: asyncio.Event) -> None:
        """Measure now and every minute (every second while Redis does not answer) until `stop`."""
        while not stop.is_set():
            wait = _MEASURE_SECONDS if await self.measure() else _RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
