"""Opening the SQLite archive, migrating its schema, and the transactions every module runs in."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from feedback.archive.migrations import all_migrations
from feedback.local_days import local_day

_BUSY_TIMEOUT_MS = 10_000
# SQLite's page cache per connection, in KiB (its default is 2 MiB), filled only as pages are
# read: the overview's rankings read each article's days by key, in article order, from pages
# all over a 1,000,000-event archive's 11 MB of days, and re-read them from the file with the
# default (docs/performance.md).
_CACHE_KIB = 32 * 1024
_T = TypeVar("_T")


class Database:
    """One aiosqlite connection; its transactions and reads are serialized by a lock."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> Database:
        """Open (creating file and schema when missing) the archive at `path`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        await connection.create_function("local_day", 2, local_day, deterministic=True)
        database = cls(connection)
        await database._migrate()
        return database

    async def close(self) -> None:
        await self._connection.close()

    async def _migrate(self) -> None:
        for migration in all_migrations():
            async with self.transaction() as connection:
                rows = await connection.execute_fetchall("PRAGMA user_version")
                if next(iter(rows))[0] >= migration.version:
                    continue
                for statement in migration.statements:
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {migration.version}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE): committed when the block ends, else rolled back."""
        async with self._lock:
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                yield self._connection
            except BaseException:
                # Also when cancelled while BEGIN waited for the lock: it may still have begun.
                if self._connection.in_transaction:
                    await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """Several reads from one snapshot (a deferred transaction), so that a flush committing
        meanwhile is seen by all of them or by none."""
        async with self._lock:
            await self._connection.execute("BEGIN")
            try:
                yield self._connection
            finally:
                await self._connection.execute("COMMIT")

    async def fetch(self, sql: str, parameters: Sequence[object] = ()) -> list[aiosqlite.Row]:
        """The rows of one statement: one consistent snapshot, without holding a transaction open."""
        async with self._lock:
            return list(await self._connection.execute_fetchall(sql, parameters))


async def in_thread(connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """Run `work` with the sqlite3 connection on aiosqlite's thread, as one call: a flush's many
    statements then cost one hop between the event loop and that thread instead of one each.
    (aiosqlite has no public way to do so: `_execute` and `_conn` are re-checked on upgrades.)"""
    result: _T = await connection._execute(work, connection._conn)  # type: ignore[no-untyped-call]
    return result


def now_ms() -> int:
    return time.time_ns() // 1_000_000
