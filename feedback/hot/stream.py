"""The flusher's side of the shards' event streams: reading what is pending, and trimming what
SQLite has committed (`lua/acknowledge.lua`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from feedback.hot.connection import register_script
from feedback.hot.keys import ShardKeys, digest
from feedback.hot.packing import unpack_event
from feedback.models import ArticleInfo, Comment, VoteEvent


@dataclass(slots=True)  # not frozen: a frozen dataclass takes twice as long to make, once per event
class StreamEntry:
    id: str
    event: VoteEvent | Comment | ArticleInfo


class EventStreams:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._acknowledge = register_script(redis, "acknowledge")
        self._behind = register_script(redis, "behind")
        self._catch_up = register_script(redis, "catch_up")
        # XRANGE's entries as Redis sends them, (id, [name, value, ...]): redis-py's reply
        # callback would build a dict per entry, about 1 us of the flusher's time per event
        # (docs/performance.md). Nothing else reads XRANGE through the app's client.
        redis.set_response_callback("XRANGE", _as_sent)

    async def epoch(self, shard: int) -> str | None:
        """The lifetime of the shard's stream; None before its first event."""
        epoch = await self._redis.hget(ShardKeys(shard).meta, "epoch")
        return str(epoch) if epoch is not None else None

    async def behind(self, shard: int, applied_id: str) -> str | None:
        """None when Redis has every event of the shard SQLite applied (up to `applied_id`, in
        the epoch Redis has); else it came back with less than it had, and this is the last id
        it knows flushed: SQLite has everything Redis holds up to there (`lua/behind.lua`)."""
        shard_keys = ShardKeys(shard)
        flushed = await self._behind(keys=[shard_keys.meta, shard_keys.events], args=[applied_id])
        return str(flushed) if flushed else None

    async def catch_up(self, shard: int, epoch: str, applied_id: str) -> None:
        """After `behind` (and the stale marks): Redis records SQLite's position as flushed, and
        numbers its next events after it (`lua/catch_up.lua`)."""
        shard_keys = ShardKeys(shard)
        await self._catch_up(keys=[shard_keys.meta, shard_keys.events], args=[epoch, applied_id])

    async def pending(self, shard: int, after_id: str, count: int) -> list[StreamEntry]:
        """Up to `count` stream entries after `after_id`, oldest first."""
        entries: list[list[Any]] = await self._redis.xrange(ShardKeys(shard).events, f"({after_id}", "+", count=count)  # type: ignore[assignment]  # decode_responses: str, and XRANGE never answers nil
        return [StreamEntry(entry_id, unpack_event(entry_id, fields)) for entry_id, fields in entries]

    async def length(self, shard: int) -> int:
        """Entries in the shard's stream: those pending, since the flusher trims what SQLite committed
        (and, for a moment after a crash between its commit and its trim, a chunk already flushed)."""
        length: int = await self._redis.xlen(ShardKeys(shard).events)
        return length

    async def oldest_pending_ms(self, shard: int, after_id: str) -> int | None:
        """When the first stream entry after `after_id` was added, in ms of Redis's clock (the
        time part of its id, which XADD takes from that clock); None when there is none."""
        entries: list[tuple[str, Any]] = await self._redis.xrange(ShardKeys(shard).events, f"({after_id}", "+", count=1)  # type: ignore[assignment]  # decode_responses: str, and XRANGE never answers nil
        return entry_time_ms(entries[0][0]) if entries else None

    async def acknowledge(
        self,
        shard: int,
        epoch: str,
        last_id: str,
        changed_at: Mapping[tuple[str, str], int] | None = None,
        precision_ms: int = 0,
    ) -> None:
        """Record that SQLite committed everything up to `last_id`, and trim it from the stream;
        `changed_at` (site, article) -> ms of its last event in it, for eviction of idle articles
        (a mark within `precision_ms` of it stays as it is)."""
        milliseconds, sequence = last_id.split("-")
        shard_keys = ShardKeys(shard)
        args: list[Any] = [epoch, last_id, f"{milliseconds}-{int(sequence) + 1}", precision_ms]
        for (site, article), at_ms in (changed_at or {}).items():
            args += [at_ms, digest(site, article)]  # not cached: a backlog's articles are many
        await self._acknowledge(keys=[shard_keys.meta, shard_keys.events, shard_keys.touched], args=args)


def _as_sent(response: object, **options: object) -> object:
    return response


def entry_time_ms(entry_id: str) -> int:
    """When a stream entry was added, in ms of Redis's clock: the time part of its id."""
    return int(entry_id.partition("-")[0])
