"""Whether the archive takes a write now: what readiness checks (services/health.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite


class ArchiveUnwritable(Exception):
    """The archive did not take a write: read-only, missing, locked too long, or failing."""


class WriteProbe:
    """Commits a write that changes nothing, through a connection of its own.

    The write sets the file's `application_id` (a header field this project does not use) to the
    value it holds: a real page written to the WAL and synced at commit (so a full or read-only
    disk shows), yet no data changes. Its own connection, opened by path each time, finds a
    removed or replaced archive that connections opened at start-up go on writing to unawares,
    and never waits behind the requests' queries; it waits for another writer (the flusher's
    transaction) only `busy_timeout_ms`.
    """

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        # mode=rw: a missing archive is an error, not a new empty file.
        self._uri = f"{Path(path).absolute().as_uri()}?mode=rw"
        self._busy_timeout_ms = int(busy_timeout_ms)

    async def write(self) -> None:
        """Raises ArchiveUnwritable when the write fails."""
        try:
            async with aiosqlite.connect(self._uri, uri=True, isolation_level=None) as connection:
                await connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
                await connection.execute("BEGIN IMMEDIATE")
                rows = list(await connection.execute_fetchall("PRAGMA application_id"))
                await connection.execute(f"PRAGMA application_id = {int(rows[0][0])}")
                await connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise ArchiveUnwritable(str(error)) from error
