"""`python -m feedback backup PATH` and `restore PATH`: copies of the archive, and putting one back."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedback.archive import ArchiveCopy
from feedback.services.backups import back_up_archive, restore_archive, restore_redis
from feedback.settings import Settings


def add_commands(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite archive while the server runs",
        description="Copy the archive (FEEDBACK_DB) to PATH with SQLite's online backup API, a few MiB at a time, "
        "while the server runs and flushes; check the copy (PRAGMA integrity_check) and print its size and the "
        "flush position it holds (the last Redis stream entry applied, per shard). The copy is written beside "
        "PATH and renamed, so PATH is only ever a whole, checked copy.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="where the copy goes (its directory must exist)")
    backup.add_argument("--force", action="store_true", help="replace PATH when it exists")
    backup.set_defaults(command=_backup)

    restore = commands.add_parser(
        "restore",
        help="put a backup in place of the archive (server stopped)",
        description="With the server stopped: check the backup at PATH, keep the archive as "
        "<archive>.before-restore-<UTC time>, put the backup in its place, then apply the events Redis still "
        "holds beyond the backup's flush position and make Redis forget its copies of articles, so that they "
        "are read back from the restored archive. Events Redis trimmed after the backup was taken are lost "
        "(see README, Backups).",
    )
    restore.add_argument("path", type=Path, metavar="PATH", nargs="?", help="the backup")
    restore.add_argument(
        "--redis-only",
        action="store_true",
        help="only bring Redis in line with the archive, as a restore interrupted by a Redis outage asks",
    )
    restore.set_defaults(command=_restore)


async def _backup(arguments: argparse.Namespace, settings: Settings) -> int:
    copy = await back_up_archive(settings, arguments.path, force=arguments.force)
    print(f"backed up {settings.database_path} to {copy.path}: integrity ok")
    _describe(copy)
    return 0


async def _restore(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.redis_only == (arguments.path is not None):
        print("error: give either PATH or --redis-only", file=sys.stderr)
        return 2
    if arguments.redis_only:
        applied = await restore_redis(settings)
    else:
        restored = await restore_archive(settings, arguments.path, datetime.now(UTC))
        print(f"restored {restored.copy.path} to {settings.database_path}: integrity ok")
        _describe(restored.copy)
        if restored.kept is not None:
            print(f"the archive it replaced is kept as {restored.kept}")
        applied = restored.applied
    if applied is None:
        print("REDIS_URL is empty: no Redis to bring in line")
    else:
        print(
            f"applied {applied} event{'' if applied == 1 else 's'} Redis held beyond the flush position; "
            "Redis forgot its copies of articles, which are read from the archive again"
        )
    return 0


def _describe(copy: ArchiveCopy) -> None:
    print(f"size: {copy.size} bytes, schema version {copy.schema_version}")
    if not copy.positions:
        print("flush position: none (nothing flushed from Redis yet)")
    for shard, position in copy.positions.items():
        print(f"flush position: shard {shard} at stream entry {position.last_id} (epoch {position.epoch})")
