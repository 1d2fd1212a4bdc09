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

from feedback.archive import Archive, FlushPosition, StaleArticle
from feedback.errors import RestoreUnfinished
from feedback.hot import REDIS_UNAVAILABLE, HotStore, StreamEntry
from feedback.metrics import Metrics
from feedback.models import ArticleInfo, Comment, VoteEvent
from feedback.services.flush_states import FlushStates
from feedback.services.resuming import resume_after

log = logging.getLogger(__name__)

# Events per SQLite transaction: a transaction's own cost (its commit, reading the chunk's
# readers' votes) is spread over more events; measured in docs/performance.md.
CHUNK_SIZE = 2000
# Stream entries per Redis call (reading, acknowledging): small enough that no call holds Redis,
# or the event loop of a server flushing in its own process, long enough to show in the votes'
# p99 latency.
PIECE_SIZE = 500
# With the servers stopped no event arrives: a stream that fills again this often means one runs.
_FORGET_ATTEMPTS = 3
# Articles are marked with when they last changed to within a tenth of the idle time: most
# flushes then need not move them in Redis's sorted set.
_IDLE_PRECISION = 10


class Flusher:
    def __init__(self, *, store: HotStore, archive: Archive, lease_seconds: float, idle_article_seconds: float) -> None:
        self._store = store
        self.archive = archive
        """Its own connection to the archive, closed by whoever opened it."""
        self._lease_ms = int(lease_seconds * 1000)
        self._idle_ms = int(idle_article_seconds * 1000)
        self.owner = secrets.token_hex(8)

    async def flush_if_free(self) -> int | None:
        """Flush everything pending unless another flusher holds the lease.

        Returns the number of stream entries applied, or None when another flusher is at work.
        The lease is held only while flushing; it expires on its own if this process dies.
        """
        if not await self._store.lease.acquire(self.owner, self._lease_ms):
            return None
        try:
            shards = range(self._store.keys.shards)
            applied = 0
            for shard in shards:
                applied += await self._flush_shard(shard)
            applied += await self._drop_stale_articles()
            for shard in shards:
                await self._store.articles.drop_idle(shard, self._idle_ms, limit=PIECE_SIZE)
            return applied
        finally:
            await self._store.lease.release(self.owner)

    async def flush_all(self, wait_seconds: float) -> int | None:
        """Flush everything pending, waiting up to `wait_seconds` for another flusher to finish."""
        deadline = time.monotonic() + wait_seconds
        # The lease lives in Redis: polling is the only way to see it freed.
        while (applied := await self.flush_if_free()) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return applied

    async def flush_and_forget_hot_state(self, wait_seconds: float) -> int | None:
        """After a restore: apply what the streams hold beyond the restored archive's positions
        (the archive's position decides, so nothing is applied twice), then forget Redis's
        articles and streams, whose counts may include votes the restored archive lacks: every
        article is then read back from it. Returns the events applied, or None when another
        flusher kept the lease for `wait_seconds`."""
        deadline = time.monotonic() + wait_seconds
        # The lease lives in Redis: polling is the only way to see it freed.
        while not await self._store.lease.acquire(self.owner, self._lease_ms):
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)
        try:
            applied = 0
            for shard in range(self._store.keys.shards):
                for _ in range(_FORGET_ATTEMPTS):
                    applied += await self._flush_shard(shard)
                    if await self._store.articles.forget_shard(shard):
                        break
                else:
                    raise RestoreUnfinished(f"votes keep arriving in Redis's shard {shard}: is a server running?")
            return applied
        finally:
            await self._store.lease.release(self.owner)

    async def _flush_shard(self, shard: int) -> int:
        streams = self._store.streams
        epoch = await streams.epoch(shard)
        if epoch is None:
            return 0  # nothing was voted on through this Redis yet
        after_id = await resume_after(self._store, self.archive, shard, epoch)
        applied = 0
        while entries := await read_chunk(self._store, shard, after_id):
            last_id = entries[-1].id
            votes = [entry.event for entry in entries if isinstance(entry.event, VoteEvent)]
            comments = [entry.event for entry in entries if isinstance(entry.event, Comment)]
            articles = [entry.event for entry in entries if isinstance(entry.event, ArticleInfo)]
            await self.archive.flush.apply(shard, FlushPosition(epoch, last_id), votes, comments, articles)
            # Each piece acknowledged alone is a prefix of what SQLite committed: a crash between
            # two leaves Redis behind SQLite, which the next flush catches up (below).
            for start in range(0, len(entries), PIECE_SIZE):
                piece = entries[start : start + PIECE_SIZE]
                await streams.acknowledge(
                    shard, epoch, piece[-1].id, _changed_at(piece), precision_ms=self._idle_ms // _IDLE_PRECISION
                )
            # Comment pages read SQLite for these now; a crash before this leaves copies that
            # pages skip (they are flushed) and dropping the article deletes.
            await self._store.comments.prune(
                shard, list(dict.fromkeys((comment.site, comment.article) for comment in comments))
            )
            applied += len(entries)
            after_id = last_id
            if not await self._store.lease.acquire(self.owner, self._lease_ms):
                log.warning("flusher lost its lease mid-flush; the new holder carries on")
                break
        if applied == 0 and after_id != "0-0":
            # A crash between commit and trim leaves Redis behind SQLite: catch it up.
            await streams.acknowledge(shard, epoch, after_id)
        return applied

    async def _drop_stale_articles(self) -> int:
        """Forget Redis's copy of articles changed in SQLite behind its back: voted on or
        commented on during an outage, or moderated. When only their approved comments changed,
        counting them again is enough, and works however busy the article is.

        A copy with events not yet flushed cannot go: the drop fences it instead (no request is
        served from it, none adds to it), so once its shard is flushed again the drop succeeds,
        however busy the article; returns the events those flushes applied.
        """
        applied = 0
        for stale in await self.archive.stale.all():
            if not stale.votes_changed and await self._recount(stale):
                continue
            if not await self._store.articles.drop(stale.site, stale.article):
                applied += await self._flush_shard(self._store.keys.locate(stale.site, stale.article).shard.shard)
                if not await self._store.articles.drop(stale.site, stale.article):
                    continue  # the flush stopped short (its lease lost): the next cycle drops it
            await self.archive.stale.forget(stale)
        return applied

    async def _recount(self, stale: StaleArticle) -> bool:
        """Set the article's approved count in Redis from SQLite's; False when it must be dropped."""
        shard = self._store.keys.locate(stale.site, stale.article).shard.shard
        approved = await self.archive.snapshots.approved_count(stale.site, stale.article, shard)
        if not await self._store.comments.recount(stale.site, stale.article, approved):
            return False
        await self.archive.stale.forget(stale)
        return True


async def read_chunk(store: HotStore, shard: int, after_id: str) -> list[StreamEntry]:
    """The next chunk a flush applies: up to CHUNK_SIZE entries after `after_id`, read PIECE_SIZE
    at a time."""
    entries: list[StreamEntry] = []
    while len(entries) < CHUNK_SIZE:
        piece = await store.streams.pending(shard, after_id, PIECE_SIZE)
        entries += piece
        if len(piece) < PIECE_SIZE:
            break
        after_id = piece[-1].id
    return entries


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


async def run_periodically(
    flusher: Flusher, period_seconds: float, stop: asyncio.Event, metrics: Metrics | None = None
) -> None:
    """Flush every `period_seconds` until `stop` is set; Redis outages are waited out."""
    states = FlushStates(period_seconds, metrics)
    while not stop.is_set():
        started = time.monotonic()
        try:
            applied = await flusher.flush_if_free()
            states.flushed(applied, time.monotonic() - started)
        except REDIS_UNAVAILABLE as error:
            states.redis_unavailable(error)
        except Exception:
            states.failed()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period_seconds)
