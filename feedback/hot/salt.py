"""The random salt of each UTC day, shared by every worker and host (see feedback/services/addresses.py)."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from feedback.hot.keys import salt_key


async def day_salt(redis: Redis, day: int, expires_at: int) -> str:
    """The salt of UTC day `day`, made by the first to ask; gone at `expires_at` (unix s)."""
    made = secrets.token_hex(32)
    earlier = await redis.set(salt_key(day), made, nx=True, get=True, exat=expires_at)
    return earlier if isinstance(earlier, str) else made  # GET: the salt set before, if any
