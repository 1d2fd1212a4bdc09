"""Backing the archive up while the server runs, and restoring a backup while it is stopped:
the archive's flush positions decide which of Redis's events the restored archive still takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedback.archive import (
    Archive,
    ArchiveCopy,
    back_up,
    check_copy,
    mark_restore_unfinished,
    put_in_place,
    refuse_if_open,
    restore_unfinished_marker,
)
from feedback.errors import RestoreUnfinished
from feedback.hot import REDIS_UNAVAILABLE
from feedback.services.wiring import build_flusher, hot_store
from feedback.settings import Settings


@dataclass(frozen=True)
class Restored:
    copy: ArchiveCopy
    kept: Path | None
    """Where the archive the copy replaced was kept."""
    applied: int | None
    """Events Redis still held beyond the copy's flush positions, now applied; None without Redis."""


async def back_up_archive(settings: Settings, destination: Path, *, force: bool) -> ArchiveCopy:
    """Copy the archive at FEEDBACK_DB to `destination`, checked."""
    return await back_up(settings.database_path, destination, force=force)


async def restore_archive(settings: Settings, backup: Path, now: datetime) -> Restored:
    """Put a checked backup in place of the archive, then bring Redis in line with it."""
    copy = await check_copy(backup)
    if settings.redis_url:
        store = hot_store(settings)
        try:
            # Refused before the archive is touched: after it, Redis must follow.
            await store.redis.ping()
        finally:
            await store.redis.aclose()
    # Until Redis is in line (restore_redis), which a crash or a restore without REDIS_URL leaves
    # undone, no server or flusher starts with a Redis.
    mark_restore_unfinished(settings.database_path)
    kept = await put_in_place(backup, settings.database_path, f".before-restore-{now:%Y%m%dT%H%M%SZ}")
    try:
        applied = await restore_redis(settings)
    except RestoreUnfinished as error:
        kept_note = f" (the archive it replaced is kept as {kept})" if kept is not None else ""
        raise RestoreUnfinished(f"{backup} is in place{kept_note}, but {error}") from error
    return Restored(copy, kept, applied)


async def restore_redis(settings: Settings) -> int | None:
    """Apply what Redis's streams hold beyond the archive's flush positions, and make Redis forget
    its copies of articles (read back from the archive when next asked for); None without Redis."""
    if not settings.redis_url:
        return None
    await refuse_if_open(settings.database_path)
    unfinished = (
        "Redis is not in line with it yet; once Redis answers, and before the server starts, run "
        "`python -m feedback restore --redis-only`"
    )
    store = hot_store(settings)
    try:
        async with await Archive.open(settings.database_path) as archive:
            flusher = build_flusher(settings, store, archive)
            applied = await flusher.flush_and_forget_hot_state(wait_seconds=settings.flush_lease_seconds + 1)
    except REDIS_UNAVAILABLE as error:
        raise RestoreUnfinished(f"{unfinished} ({error})") from error
    finally:
        await store.redis.aclose()
    if applied is None:
        raise RestoreUnfinished(f"{unfinished} (another flusher holds the lease: is a server running?)")
    restore_unfinished_marker(settings.database_path).unlink(missing_ok=True)
    return applied
