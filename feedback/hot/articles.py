"""Whether an article is in Redis: loading a cold one from SQLite's state, dropping a stale or
idle one, or every one of a shard after a restore.

Exactness rests on one rule: an article is either hot (its whole state in Redis) or cold (its
whole state in SQLite, nothing pending). A cold article is loaded before it is served from Redis.
"""

from __future__ import annotations

import enum
from typing import Any

from redis.asyncio import Redis

from feedback.hot.clock import redis_time_ms
from feedback.hot.connection import register_script
from feedback.hot.keys import KeyLayout, ShardKeys
from feedback.models import ArticleState


class Cold(enum.Enum):
    """What a request-path call answers for an article Redis does not hold: nothing was done;
    load the article from SQLite and call again."""

    ARTICLE = "cold"


COLD = Cold.ARTICLE


class Load(enum.Enum):
    """What loading a cold article came to."""

    LOADED = 1
    STALE_SNAPSHOT = 0
    """SQLite's state may be older than SQLite now is: read it again."""
    FENCED = 2
    """Redis holds a stale copy the flusher is about to drop (drop.lua): serve the article from
    SQLite meanwhile."""


class HotArticles:
    def __init__(self, redis: Redis, keys: KeyLayout) -> None:
        self._redis = redis
        self._keys = keys
        self._load = register_script(redis, "load")
        self._drop = register_script(redis, "drop")
        self._forget_shard = register_script(redis, "forget_shard")

    async def stale_drops(self, shard: int) -> str:
        """How many stale articles the shard has dropped: read it before reading an article's
        state from SQLite, and pass it to `load`."""
        drops = await self._redis.hget(ShardKeys(shard).meta, "stale_drops")
        return str(drops or "0")

    async def load(self, site: str, article: str, state: ArticleState, stale_drops: str) -> Load:
        """Make a cold article hot from SQLite's state."""
        location = self._keys.locate(site, article)
        args: list[Any] = [state.flush_epoch or "", state.flush_last_id or "", stale_drops, state.comments]
        for reader, score in state.scores.items():
            args += [reader, score]
        for reader, score in state.suspect_scores.items():
            args += [f"!{reader}", score]
        keys: list[str | bytes] = [
            location.shard.meta,
            location.shard.touched,
            location.key,
            location.shard.comments(location.digest),
        ]
        return Load(await self._load(keys=keys, args=args))

    async def drop(self, site: str, article: str) -> bool:
        """Forget a stale article; True when gone. One with events not flushed yet stays, fenced:
        served to nobody and given no new event, so that it can go after its shard's next flush."""
        location = self._keys.locate(site, article)
        return await self._drop_one(location.shard, location.digest, "")

    async def drop_idle(self, shard: int, idle_ms: int, limit: int) -> int:
        """Forget up to `limit` flushed articles untouched for `idle_ms`; how many went."""
        shard_keys = ShardKeys(shard)
        now_ms = await redis_time_ms(self._redis)
        digests: list[str] = await self._redis.zrangebyscore(
            shard_keys.touched, "-inf", now_ms - idle_ms, start=0, num=limit
        )  # type: ignore[assignment]  # decode_responses: str
        dropped = 0
        for digest in digests:
            dropped += await self._drop_one(shard_keys, digest, str(idle_ms))
        return dropped

    async def forget_shard(self, shard: int) -> bool:
        """Forget every article of the shard and its stream, as a wiped Redis would have; False
        (nothing done) while events wait in the stream."""
        shard_keys = ShardKeys(shard)
        keys = [shard_keys.meta, shard_keys.events, shard_keys.touched, shard_keys.comments_waiting]
        return bool(await self._forget_shard(keys=keys))

    async def _drop_one(self, shard: ShardKeys, digest: str, idle_ms: str) -> bool:
        keys = [shard.meta, shard.touched, shard.article(digest), shard.comments(digest)]
        return bool(await self._drop(keys=keys, args=[idle_ms]))
