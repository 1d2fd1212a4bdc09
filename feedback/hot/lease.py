"""The flusher lease: one flusher at a time across processes and hosts."""

from __future__ import annotations

from redis.asyncio import Redis

from feedback.hot.connection import register_script
from feedback.hot.keys import LEASE_KEY


class FlusherLease:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._renew = register_script(redis, "renew_lease")
        self._release = register_script(redis, "release_lease")

    async def acquire(self, owner: str, milliseconds: int) -> bool:
        """Take the lease when free, or extend it when `owner` holds it already."""
        if await self._redis.set(LEASE_KEY, owner, nx=True, px=milliseconds):
            return True
        return bool(await self._renew(keys=[LEASE_KEY], args=[owner, milliseconds]))

    async def release(self, owner: str) -> None:
        await self._release(keys=[LEASE_KEY], args=[owner])
