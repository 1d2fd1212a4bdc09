"""Moves vote and comment events from the Redis streams into SQLite, exactly once, one flusher
at a time.

Each chunk of stream entries is applied to SQLite in one transaction that also records the last
applied stream id; only after the commit is the stream trimmed. A flush killed at any instant is
either not applied (the retry reads the same entries) or applied and recorded (the retry skips
them). Applying is idempotent besides, so two flushers overlapping by accident change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from feedback.archive import Archive
from feedback.models import Comment, VoteEvent
from feedback.store import REDIS_UNAVAILABLE, Store, StreamEntry

log = logging.getLogger(__name__)

# Events per SQLite transaction. Small enough that reading and trimming a chunk never holds
# Redis (or, for the flusher in the server, the event loop) long enough to show in the votes'
# p99 latency; large enough that commits do not dominate.
CHUNK_SIZE = 500
_STALE_DROP_ATTEMPTS = 10
# Articles are marked with when they last changed to within a tenth of the idle time: most
# flushes then need not move them in Redis's sorted set.
_IDLE_PRECISION = 10


class Flusher:
    def __init__(self, store: Store, archive: Archive, lease_seconds: float, idle_article_seconds: float) -> None:
        self._store = store
        self._archive = archive
        self._lease_ms = int(lease_seconds * 1000)
        self._idle_ms = int(idle_article_seconds * 1000)
        self.owner = secrets.token_hex(8)

    async def flush_if_free(self) -> int | None:
        """Flush everything pending unless another flusher holds the lease.

        Returns the number of stream entries applied, or None when another flusher is at work.
        The lease is held only while flushing; it expires on its own if this process dies.
        """
        if not await self._store.acquire_lease(self.owner, self._lease_ms):
            return None
        try:
            applied = 0
            for shard in range(self._store.shards):
                applied += await self._flush_shard(shard)
            applied += await self._drop_stale_articles()
            for shard in range(self._store.shards):
                await self._store.drop_idle_articles(shard, self._idle_ms, limit=CHUNK_SIZE)
            return applied
        finally:
            await self._store.release_lease(self.owner)

    async def flush_all(self, wait_seconds: float) -> int | None:
        """Flush everything pending, waiting up to `wait_seconds` for another flusher to finish."""
        deadline = time.monotonic() + wait_seconds
        # The lease lives in Redis: polling is the only way to see it freed.
        while (applied := await self.flush_if_free()) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return applied

    async def _flush_shard(self, shard: int) -> int:
        epoch = await self._store.epoch(shard)
        if epoch is None:
            return 0  # nothing was voted on through this Redis yet
        position = await self._archive.flush_position(shard)
        after_id = position[1] if position is not None and position[0] == epoch else "0-0"
        applied = 0
        while entries := await self._store.pending_events(shard, after_id, CHUNK_SIZE):
            last_id = entries[-1].id
            votes = [entry.event for entry in entries if isinstance(entry.event, VoteEvent)]
            comments = [entry.event for entry in entries if isinstance(entry.event, Comment)]
            await self._archive.apply_flushed_events(shard, epoch, last_id, votes, comments)
            await self._store.acknowledge_flush(
                shard, epoch, last_id, _changed_at(entries), precision_ms=self._idle_ms // _IDLE_PRECISION
            )
            # Comment pages read SQLite for these now; a crash before this leaves copies that
            # pages skip (they are flushed) and dropping the article deletes.
            await self._store.prune_comments(
                shard, list(dict.fromkeys((comment.site, comment.article) for comment in comments))
            )
            applied += len(entries)
            after_id = last_id
            if not await self._store.acquire_lease(self.owner, self._lease_ms):
                log.warning("flusher lost its lease mid-flush; the new holder carries on")
                break
        if applied == 0 and after_id != "0-0":
            # A crash between commit and trim leaves Redis behind SQLite: catch it up.
            await self._store.acknowledge_flush(shard, epoch, after_id)
        return applied

    async def _drop_stale_articles(self) -> int:
        """Forget Redis's copy of articles changed in SQLite behind its back: voted on or
        commented on during an outage, or moderated. When only their approved comments changed,
        counting them again is enough, and works however busy the article is.

        A copy with votes not yet flushed cannot go. A busy article keeps receiving them, so its
        shard is flushed again and the drop retried at once, rather than at the next cycle
        (when it would meet the same race); returns the events those flushes applied.
        """
        applied = 0
        for site, article, mark, votes_changed in await self._archive.stale_articles():
            shard = self._store.locate(site, article).shard.shard
            if not votes_changed:
                approved, epoch, last_id = await self._archive.approved_comments_at(site, article, shard)
                if await self._store.recount_comments(site, article, approved, epoch, last_id):
                    await self._archive.forget_stale_article(site, article, mark)
                    continue
            for _ in range(_STALE_DROP_ATTEMPTS):
                if await self._store.drop_article(site, article):
                    await self._archive.forget_stale_article(site, article, mark)
                    break
                applied += await self._flush_shard(shard)
        return applied


def _changed_at(entries: list[StreamEntry]) -> dict[tuple[str, str], int]:
    """Each article's time of its last event among `entries` (oldest first), in ms: a stream id's."""
    changed_at: dict[tuple[str, str], int] = {}
    for entry in entries:
        event = entry.event
        article = (
            (event.change.site, event.change.article) if isinstance(event, VoteEvent) else (event.site, event.article)
        )
        changed_at[article] = int(entry.id.partition("-")[0])
    return changed_at


async def run_periodically(flusher: Flusher, period_seconds: float, stop: asyncio.Event) -> None:
    """Flush every `period_seconds` until `stop` is set; Redis outages are waited out."""
    while not stop.is_set():
        try:
            applied = await flusher.flush_if_free()
            if applied:
                log.debug("flushed %d events", applied)
        except REDIS_UNAVAILABLE as error:
            log.info("flusher waits for Redis: %s", error)
        except Exception:
            log.exception("flush failed; retrying in %.1f s", period_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period_seconds)
