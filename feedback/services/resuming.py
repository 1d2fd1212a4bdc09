"""Where the flusher resumes reading a shard's stream, and what it does first when Redis came
back with less than it had: an AOF that lost its last second, a replica promoted before it had
everything, a restart from an older snapshot."""

from __future__ import annotations

import logging

from feedback.archive import Archive
from feedback.hot import HotStore, entry_time_ms

log = logging.getLogger(__name__)


async def resume_after(store: HotStore, archive: Archive, shard: int, epoch: str) -> str:
    """The stream id to read the shard's events after: SQLite's position in this epoch (from the
    start in another: a wiped Redis). When Redis no longer has the last event SQLite applied,
    the articles SQLite got events of since the last one Redis knows flushed are marked stale
    first (their copies may lack them; the flush's drop of stale articles reloads them), and
    only then is Redis told (a crash in between finds it behind again next time)."""
    position = await archive.flush.position(shard)
    if position is None or position.epoch != epoch:
        return "0-0"
    flushed = await store.streams.behind(shard, position.last_id)
    if flushed is not None:
        stale = [
            (site, article)
            for site, article in await archive.stale.changed_since(entry_time_ms(flushed))
            if store.keys.locate(site, article).shard.shard == shard
        ]
        await archive.stale.mark(stale)
        await store.streams.catch_up(shard, epoch, position.last_id)
        log.warning(
            "Redis came back without events of shard %d that SQLite had applied after %s: %d articles are "
            "loaded from SQLite again",
            shard,
            flushed,
            len(stale),
        )
    return position.last_id
