"""The floor under the flusher's rate: what reading a backlog from Redis and running the flush's
SQL cost by themselves, with nothing decided in Python.

Each chunk of the backlog is applied by `VoteChunk` to a scratch archive while its statements
and their rows are recorded; the recording is then replayed into an archive of its own, timed:
the same statements, with the same rows, in the same order, so that SQLite (and the binding of
the rows) does exactly a flush's work and nothing else. The Redis part is the CPU time of
reading the entries as the flusher reads them. A flusher can go no faster than the two together
allow on one core. Run by `bench/run.py` pinned to the flusher's core, before the flusher
consumes the backlog (`python -m bench.floor REDIS_URL DIRECTORY`); prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from bench.run import prepare_archive
from feedback.archive.connection import Database, in_thread
from feedback.archive.vote_chunks import VoteChunk
from feedback.hot import HotStore, connect
from feedback.models import VoteEvent
from feedback.services.flusher import read_chunk

_Statement = tuple[str, str, Any]
"""A call on the connection: its method, its SQL and its parameters (or rows)."""


class Recorder:
    """A sqlite3 connection as `VoteChunk` uses it, keeping each call it forwards."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.statements: list[_Statement] = []

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        self.statements.append(("execute", sql, parameters))
        return self._connection.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        rows = list(rows)
        self.statements.append(("executemany", sql, rows))
        return self._connection.executemany(sql, rows)


def record(events: list[VoteEvent]) -> Callable[[sqlite3.Connection], list[_Statement]]:
    """The work for `in_thread`: apply a chunk, keeping the calls it made."""

    def work(connection: sqlite3.Connection) -> list[_Statement]:
        recorder = Recorder(connection)
        VoteChunk(events).apply(recorder)  # type: ignore[arg-type]  # what it calls of sqlite3.Connection
        return recorder.statements

    return work


def replay(statements: list[_Statement]) -> Callable[[sqlite3.Connection], float]:
    """The work for `in_thread`, inside a transaction: run the recorded calls (reading what
    queries answer) and commit, as a flush does; the CPU time it took the connection's thread."""

    def work(connection: sqlite3.Connection) -> float:
        started = time.thread_time()
        for method, sql, parameters in statements:
            getattr(connection, method)(sql, parameters).fetchall()
        connection.execute("COMMIT")
        seconds = time.thread_time() - started
        connection.execute("BEGIN")  # for the transaction's own COMMIT, untimed
        return seconds

    return work


async def chunks(store: HotStore) -> AsyncIterator[tuple[list[VoteEvent], float]]:
    """The backlog of shard 0 chunk by chunk, as the flusher reads it, with the CPU time read."""
    after_id = "0-0"
    while True:
        started = time.thread_time()
        entries = await read_chunk(store, 0, after_id)
        read = time.thread_time() - started
        if not entries:
            return
        after_id = entries[-1].id
        yield [entry.event for entry in entries if isinstance(entry.event, VoteEvent)], read


async def measure(redis_url: str, directory: Path) -> dict[str, int | float]:
    scratch, timed = str(directory / "floor-scratch.sqlite3"), str(directory / "floor.sqlite3")
    for path in (scratch, timed):
        await prepare_archive(path)
    redis = connect(redis_url)
    recording, replaying = await Database.open(scratch), await Database.open(timed)
    events, reading, writing = 0, 0.0, 0.0
    try:
        async for chunk, read in chunks(HotStore(redis)):
            async with recording.transaction() as connection:
                statements = await in_thread(connection, record(chunk))
            async with replaying.transaction() as connection:
                writing += await in_thread(connection, replay(statements))
            events, reading = events + len(chunk), reading + read
    finally:
        await recording.close()
        await replaying.close()
        await redis.aclose()
    return {
        "events": events,
        "read_us_per_event": round(reading / events * 1e6, 1),
        "sql_us_per_event": round(writing / events * 1e6, 1),
        "events_per_second": round(events / (reading + writing)),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], Path(sys.argv[2])))))
