"""Copies of the archive: taken with SQLite's online backup API while the server writes, checked,
and put back in place of the archive while no process has it open."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

import aiosqlite

from feedback.archive.flush import FlushPosition
from feedback.archive.migrations import all_migrations
from feedback.errors import FeedbackError

# Pages copied per step of the backup (4 MiB of 4 KiB pages). The source is read from one WAL
# snapshot throughout (see `_copy`), which blocks no writer: the step only bounds each call into
# SQLite, between which it can wait for a busy destination.
PAGES_PER_STEP = 1024


class BackupRefused(FeedbackError):
    """A backup or restore that would harm something, or whose input is not a usable archive."""


@dataclass(frozen=True)
class ArchiveCopy:
    """What a checked copy of the archive holds."""

    path: Path
    size: int
    """In bytes."""
    schema_version: int
    positions: dict[int, FlushPosition]
    """Per shard, the last stream entry the copy has applied: what a restore flushes on from."""


async def back_up(archive_path: str, destination: Path, *, force: bool) -> ArchiveCopy:
    """Copy the archive to `destination` and check the copy; `destination` is only ever the
    whole checked copy (the copy is written beside it and renamed)."""
    _check_destination(destination, force=force)
    if not _is_file(archive_path):
        raise BackupRefused(f"there is no archive at {archive_path}")
    partial = destination.with_name(f".{destination.name}.partial-{secrets.token_hex(4)}")
    try:
        await _copy(archive_path, partial)
        checked = await check_copy(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    _sync_directory(destination.parent)
    return replace(checked, path=destination)


async def check_copy(path: Path) -> ArchiveCopy:
    """Refuse anything but an intact archive whose schema this code knows."""
    if not _is_file(path):
        raise BackupRefused(f"there is no file {path}")
    try:
        async with aiosqlite.connect(_uri(path, "ro"), uri=True) as copy:
            problems = [row[0] for row in await copy.execute_fetchall("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupRefused(f"{path} is damaged: {'; '.join(problems[:5])}")
            schema_version = next(iter(await copy.execute_fetchall("PRAGMA user_version")))[0]
            tables = {row[0] for row in await copy.execute_fetchall("SELECT name FROM sqlite_schema")}
            if schema_version < 1 or "flush_positions" not in tables:
                raise BackupRefused(f"{path} is not a feedback archive")
            known = all_migrations()[-1].version
            if schema_version > known:
                raise BackupRefused(f"{path} has schema version {schema_version}; this code knows up to {known}")
            rows = await copy.execute_fetchall("SELECT shard, epoch, last_id FROM flush_positions ORDER BY shard")
    except sqlite3.DatabaseError as error:  # "file is not a database", and the like
        raise BackupRefused(f"{path} is not a SQLite archive: {error}") from error
    positions = {shard: FlushPosition(epoch, last_id) for shard, epoch, last_id in rows}
    return ArchiveCopy(path, _size(path), schema_version, positions)


def restore_unfinished_marker(archive_path: str) -> Path:
    """A file beside the archive while a restore has put a backup in place but not yet brought
    Redis in line with it: the server and the flusher refuse to start while it exists, since
    Redis's copies may count votes the restored archive lacks."""
    return Path(f"{archive_path}.restore-unfinished")


def mark_restore_unfinished(archive_path: str) -> None:
    marker = restore_unfinished_marker(archive_path)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("Run `python -m feedback restore --redis-only` before starting the server.\n")
    _sync_directory(marker.parent)


async def put_in_place(copy: Path, archive_path: str, kept_suffix: str) -> Path | None:
    """Make the checked `copy` the archive; the archive it replaces is kept beside it, as one
    self-contained file named with `kept_suffix`. Refused while any process has the archive open.
    Returns where the replaced archive was kept (None when there was none)."""
    archive = Path(archive_path)
    kept = _kept_name(archive, kept_suffix)
    await refuse_if_open(archive_path)
    partial = archive.with_name(f".{archive.name}.partial-{secrets.token_hex(4)}")
    try:
        await _copy(str(copy), partial)
        await check_copy(partial)
        if kept is not None:
            # A second name, not a rename: the archive's name always holds an archive, the old one
            # or the copy, and a server started after a crash here never finds it missing.
            os.link(archive, kept)
        # A -wal left by a process that crashed belongs to the replaced archive: beside the copy
        # SQLite would apply it to pages it was never written for.
        for leftover in _companions(archive):
            leftover.unlink(missing_ok=True)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    _sync_directory(archive.parent)
    return kept


async def _copy(source_path: str, destination: Path) -> None:
    try:
        await _copy_snapshot(source_path, destination)
    except sqlite3.Error as error:
        raise BackupRefused(f"{source_path} could not be copied: {error}") from error


async def _copy_snapshot(source_path: str, destination: Path) -> None:
    async with (
        aiosqlite.connect(_uri(source_path, "ro"), uri=True, isolation_level=None) as source,
        aiosqlite.connect(destination) as target,
    ):
        await source.execute("PRAGMA busy_timeout = 10000")
        # Every step reads from one snapshot, held from here to the end: the copy is the archive
        # as one commit left it. Without it SQLite starts the copy over whenever another
        # connection commits between two steps, which a flusher committing every few seconds
        # can keep doing to a big archive forever. In WAL mode the snapshot blocks no writer; it
        # only keeps the -wal from being checkpointed past it until the copy ends.
        await source.execute("BEGIN")
        await source.execute_fetchall("SELECT count(*) FROM sqlite_schema")
        await source.backup(target, pages=PAGES_PER_STEP)
        await source.execute("COMMIT")
        # The copy takes the source's WAL mode: a rollback journal makes it one file, whole once closed.
        await target.execute("PRAGMA journal_mode = DELETE")


async def refuse_if_open(archive_path: str) -> None:
    """Refuse while another process has the archive open. Leaving WAL mode, which SQLite allows
    only to the one connection open on the file, is the check; it also checkpoints the -wal into
    the archive, so that the file alone holds it all (the server goes back to WAL mode)."""
    if not _is_file(archive_path):
        return
    archive = Path(archive_path)
    try:
        async with aiosqlite.connect(_uri(archive, "rw"), uri=True, timeout=0) as connection:
            rows = await connection.execute_fetchall("PRAGMA journal_mode = DELETE")
        in_use = next(iter(rows))[0] != "delete"  # the answer is the mode the file keeps
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise BackupRefused(f"{archive} cannot be opened: {error}") from error
        in_use = True
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{archive} is not a SQLite archive: {error}") from error
    if in_use:
        raise BackupRefused(f"{archive} is in use: stop the server (and any `python -m feedback flush --watch`) first")


def _check_destination(destination: Path, *, force: bool) -> None:
    if not destination.parent.is_dir():
        raise BackupRefused(f"{destination.parent} is not a directory")
    if destination.is_dir():
        raise BackupRefused(f"{destination} is a directory")
    if destination.exists() and not force:
        raise BackupRefused(f"{destination} exists (--force replaces it)")


def _kept_name(archive: Path, suffix: str) -> Path | None:
    """Where the archive a restore replaces is kept; None when there is no archive (its folder is
    made then, as opening the archive would)."""
    if not archive.exists():
        archive.parent.mkdir(parents=True, exist_ok=True)
        return None
    kept = archive.with_name(archive.name + suffix)
    if kept.exists():
        raise BackupRefused(f"{kept} exists")
    return kept


def _is_file(path: str | Path) -> bool:
    return Path(path).is_file()


def _size(path: Path) -> int:
    return path.stat().st_size


def _uri(path: str | Path, mode: str) -> str:
    return f"{Path(path).absolute().as_uri()}?mode={mode}"


def _companions(archive: Path) -> list[Path]:
    return [archive.with_name(archive.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _sync_directory(directory: Path) -> None:
    """Make the renames durable: a crash after a rename must not bring back the old name."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
