"""`python -m feedback backup` and `restore`: a copy taken while a real server votes and flushes
is consistent, and a restored archive takes exactly what Redis still holds beyond its position."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
from redis import Redis as SyncRedis

from feedback.archive.backups import PAGES_PER_STEP
from feedback.models import version_from_parts
from feedback.settings import Settings
from tests.support import SITE, ServerProcess, free_port

COMMAND = [sys.executable, "-m", "feedback"]
ARTICLES = [f"bai-{number}" for number in range(5)]
# Votes that must stay in Redis only: no flusher process (serve's would flush them at its start).
NO_FLUSHER = {"FEEDBACK_FLUSHER": "off"}
POSITION = re.compile(r"flush position: shard 0 at stream entry (\d+)-(\d+) \(epoch (\w+)\)")

Vote = tuple[str, str, int]
"""article, reader, score"""


def environment(settings: Settings, redis_url: str | None = None) -> dict[str, str]:
    return os.environ | {
        "FEEDBACK_DB": settings.database_path,
        "REDIS_URL": settings.redis_url if redis_url is None else redis_url,
    }


async def feedback(settings: Settings, *arguments: str, redis_url: str | None = None) -> tuple[int, str, str]:
    """`python -m feedback ...` in a process of its own, the event loop going on meanwhile; its
    exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        *arguments,
        env=environment(settings, redis_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def run_feedback(settings: Settings, *arguments: str, redis_url: str | None = None) -> tuple[int, str, str]:
    """`python -m feedback ...`, waited for; its exit code, stdout and stderr."""
    done = subprocess.run(
        [*COMMAND, *arguments], env=environment(settings, redis_url), capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


async def send_votes(server: ServerProcess, votes: Iterable[Vote], concurrency: int = 8) -> list[Vote]:
    """Send `votes` over HTTP, `concurrency` at a time; each must be acknowledged."""
    pending = iter(votes)
    acknowledged: list[Vote] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def sender() -> None:
            for article, reader, score in pending:
                response = await client.put(
                    f"/api/v1/sites/{SITE}/articles/{article}/rating", json={"score": score, "reader": reader}
                )
                assert response.status_code == 200, response.text
                acknowledged.append((article, reader, score))

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return acknowledged


def new_votes(first_reader: int, count: int, score: int) -> list[Vote]:
    return [
        (ARTICLES[number % len(ARTICLES)], reader(number), score)
        for number in range(first_reader, first_reader + count)
    ]


def votes_until(done: asyncio.Event, then: int) -> Iterator[Vote]:
    """A new reader's vote after another until `done` is set, and `then` more."""
    for number in itertools.count():
        if done.is_set():
            yield from new_votes(number, then, score=4)
            return
        yield new_votes(number, 1, score=4)[0]


def reader(number: int) -> str:
    return f"reader-{number:016d}"


def rows(path: str | Path, sql: str) -> list[tuple[object, ...]]:
    # Closed at once: an open connection is a process holding the archive, which restore refuses
    # (and sqlite3's connections are freed only by the cycle collector, at any later time).
    with contextlib.closing(sqlite3.connect(path)) as database:
        return database.execute(sql).fetchall()


def stored_votes(path: str | Path) -> dict[tuple[str, str], int]:
    return {
        (str(article), str(reader_)): int(str(score))
        for article, reader_, score in rows(
            path, f"SELECT article, reader, score FROM votes WHERE site = '{SITE}' AND score IS NOT NULL"
        )
    }


def histograms(votes: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    counted = Counter((article, score) for (article, _), score in votes.items())
    return {article: {str(score): counted[article, score] for score in range(1, 6)} for article in ARTICLES}


def article_totals(path: str | Path) -> dict[str, dict[str, int]]:
    """The per-article aggregate the flush keeps beside the votes (`article_votes`)."""
    totals = {article: dict.fromkeys("12345", 0) for article in ARTICLES}
    for article, *counts in rows(
        path, f"SELECT article, count_1, count_2, count_3, count_4, count_5 FROM article_votes WHERE site = '{SITE}'"
    ):
        totals[str(article)] = {str(score): int(str(count)) for score, count in zip(range(1, 6), counts, strict=True)}
    return totals


async def test_a_backup_taken_while_votes_flush_is_consistent_and_names_its_flush_position(
    site_settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "copies" / "feedback-backup.sqlite3"
    backup.parent.mkdir()
    # Another site's history makes the copy take more than one step.
    seeded = await feedback(site_settings, "seed", "--events", "40000", "--articles", "300", "--site", "seeded")
    assert seeded[0] == 0, seeded[2]
    assert rows(site_settings.database_path, "PRAGMA page_count")[0][0] > PAGES_PER_STEP
    server = ServerProcess(site_settings, flush_seconds=0.05)
    try:
        # Votes keep coming, and the server flushes them every 50 ms, before, during and after the copy.
        backed_up = asyncio.Event()
        voting = asyncio.create_task(send_votes(server, votes_until(backed_up, then=300)))
        # The archive is another process's: polling is the only way to see it grow.
        while len(rows(site_settings.database_path, f"SELECT 1 FROM votes WHERE site = '{SITE}'")) < 200:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        code, stdout, stderr = await feedback(site_settings, "backup", str(backup))
        backed_up.set()
        acknowledged = await voting
    finally:
        server.terminate()  # flushes what is left
    assert code == 0, stderr

    assert rows(backup, "PRAGMA integrity_check") == [("ok",)]
    assert f"size: {backup.stat().st_size} bytes" in stdout
    assert [path.name for path in backup.parent.iterdir()] == [backup.name]  # no partial copy left
    copied = stored_votes(backup)
    # Every vote it counts is in its event log, and in its per-article totals.
    logged = rows(
        backup,
        "SELECT k.article, e.reader, e.old_score, e.new_score FROM vote_events AS e "
        f"JOIN article_keys AS k ON k.id = e.article_key WHERE k.site = '{SITE}'",
    )
    assert sorted(logged) == sorted((article, reader_, None, score) for (article, reader_), score in copied.items())
    assert article_totals(backup) == histograms(copied)
    # Its flush position is the version of the last vote it holds: the stream entry it came from.
    match = POSITION.search(stdout)
    assert match is not None, stdout
    position_version = version_from_parts(int(match[1]), int(match[2]))
    assert rows(backup, "SELECT epoch, last_id FROM flush_positions") == [(match[3], f"{match[1]}-{match[2]}")]
    assert rows(backup, f"SELECT max(version) FROM votes WHERE site = '{SITE}'") == [(position_version,)]
    # ... and the archive, once everything is flushed, holds exactly those votes up to it, and more after.
    final = stored_votes(site_settings.database_path)
    assert final == {(article, reader_): score for article, reader_, score in acknowledged}
    up_to_position = rows(
        site_settings.database_path,
        f"SELECT article, reader, score FROM votes WHERE site = '{SITE}' AND version <= {position_version}",
    )
    assert {(article, reader_): score for article, reader_, score in up_to_position} == copied
    assert 200 <= len(copied) < len(final)


async def test_a_restore_applies_once_what_redis_holds_beyond_the_backup_and_forgets_its_copies(
    site_settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.sqlite3"
    archive = site_settings.database_path
    # Each phase gives scores of its own, so that every vote changes a score and is logged once.
    before_backup = new_votes(0, 200, score=1)
    after_backup = new_votes(200, 100, score=2) + new_votes(0, 50, score=2)
    unflushed = new_votes(200, 50, score=3) + new_votes(0, 50, score=3) + new_votes(300, 100, score=3)
    after_restore = new_votes(250, 100, score=4) + new_votes(400, 200, score=4)

    server = ServerProcess(site_settings, flush_seconds=0.05)
    try:
        await send_votes(server, before_backup)
        assert (await feedback(site_settings, "flush"))[0] == 0
        code, stdout, stderr = await feedback(site_settings, "backup", str(backup))
        assert code == 0, stderr
        await send_votes(server, after_backup)
    finally:
        server.terminate()  # flushes them: they leave Redis, and are in no backup
    assert stored_votes(archive) == expected_votes(before_backup, after_backup)

    unflushing = ServerProcess(site_settings, flush_seconds=3600, env=NO_FLUSHER)
    try:
        await send_votes(unflushing, unflushed)
        served_before = await served_histograms(unflushing)
    finally:
        unflushing.kill()  # no flush: these stay in Redis only
    # Redis counts the votes given after the backup, which the restored archive will lack.
    assert served_before == histograms(expected_votes(before_backup, after_backup, unflushed))

    code, stdout, stderr = await feedback(site_settings, "restore", str(backup))
    assert code == 0, stderr
    assert f"applied {len(unflushed)} events" in stdout
    (kept,) = Path(archive).parent.glob(Path(archive).name + ".before-restore-*")
    assert stored_votes(kept) == expected_votes(before_backup, after_backup)

    restored = expected_votes(before_backup, unflushed)
    restarted = ServerProcess(site_settings, flush_seconds=0.05)
    try:
        # Redis forgot its copies: the first reads load the restored archive, without the lost votes.
        served_at_start = await served_histograms(restarted)
        await send_votes(restarted, after_restore)  # under load at once, 8 at a time
        served = await served_histograms(restarted)
    finally:
        restarted.terminate()

    assert served_at_start == histograms(restored)
    expected = expected_votes(before_backup, unflushed, after_restore)
    assert stored_votes(archive) == expected
    assert served == histograms(expected)
    assert article_totals(archive) == histograms(expected)
    # Nothing doubled: one logged event per vote each reader gave in the phases the archive kept.
    logged = Counter(
        rows(archive, "SELECT k.article, e.reader FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key")
    )
    given = Counter((article, reader_) for article, reader_, _ in [*before_backup, *unflushed, *after_restore])
    assert logged == given


async def test_restore_redis_only_finishes_a_restore_that_left_redis_out(
    site_settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.sqlite3"
    flushed, unflushed = new_votes(0, 20, score=1), new_votes(20, 10, score=2)
    server = ServerProcess(site_settings, flush_seconds=3600, env=NO_FLUSHER)
    try:
        await send_votes(server, flushed)
        assert (await feedback(site_settings, "flush"))[0] == 0
        assert (await feedback(site_settings, "backup", str(backup)))[0] == 0
        await send_votes(server, unflushed)
    finally:
        server.kill()  # the votes after the backup stay in Redis
    code, stdout, stderr = await feedback(site_settings, "restore", str(backup), redis_url="")
    assert code == 0, stderr
    assert "REDIS_URL is empty: no Redis to bring in line" in stdout
    with SyncRedis.from_url(site_settings.redis_url) as redis:
        assert redis.keys("feedback:{0}:a:*")  # Redis still holds its copies of the articles
    # Redis counts votes the restored archive lacks: nothing may start with it until it is in line.
    for command in (["serve", "--port", str(free_port())], ["flush"]):
        code, _, stderr = run_feedback(site_settings, *command)
        assert code == 1 and "restore --redis-only" in stderr, (command, stderr)
    code, stdout, stderr = await feedback(site_settings, "restore", "--redis-only")
    assert code == 0, stderr
    assert f"applied {len(unflushed)} events" in stdout
    assert stored_votes(site_settings.database_path) == expected_votes(flushed, unflushed)
    with SyncRedis.from_url(site_settings.redis_url) as redis:
        assert redis.keys("feedback:{0}:*") == []
    assert run_feedback(site_settings, "flush")[0] == 0


async def served_histograms(server: ServerProcess) -> dict[str, dict[str, int]]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": ",".join(ARTICLES)})
    assert response.status_code == 200, response.text
    return {summary["article"]: summary["histogram"] for summary in response.json()["summaries"]}


def expected_votes(*phases: list[Vote]) -> dict[tuple[str, str], int]:
    return {(article, reader_): score for article, reader_, score in itertools.chain(*phases)}


def test_backup_refuses_a_path_that_exists_unless_forced(site_settings: Settings, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    backup.write_text("an older backup")
    code, _, stderr = run_feedback(site_settings, "backup", str(backup))
    assert code == 1
    assert "exists (--force replaces it)" in stderr
    assert backup.read_text() == "an older backup"
    code, _, stderr = run_feedback(site_settings, "backup", "--force", str(backup))
    assert code == 0, stderr
    assert rows(backup, "SELECT id FROM sites") == [(SITE,)]


def test_backup_refuses_a_directory_that_is_missing(site_settings: Settings, tmp_path: Path) -> None:
    code, _, stderr = run_feedback(site_settings, "backup", str(tmp_path / "missing" / "backup.sqlite3"))
    assert code == 1
    assert "missing is not a directory" in stderr
    assert not (tmp_path / "missing").exists()


def test_a_failed_backup_leaves_no_file_behind(settings: Settings, tmp_path: Path) -> None:
    Path(settings.database_path).write_bytes(b"not a database" * 512)
    copies = tmp_path / "copies"
    copies.mkdir()
    code, _, stderr = run_feedback(settings, "backup", str(copies / "backup.sqlite3"))
    assert code == 1
    assert "could not be copied: file is not a database" in stderr
    assert list(copies.iterdir()) == []


def test_restore_refuses_what_is_not_a_feedback_archive(site_settings: Settings, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 512)
    foreign = tmp_path / "foreign.sqlite3"
    with contextlib.closing(sqlite3.connect(foreign)) as database:
        database.execute("CREATE TABLE notes (body TEXT)")
    for backup, message in [(junk, "is not a SQLite archive"), (foreign, "is not a feedback archive")]:
        code, _, stderr = run_feedback(site_settings, "restore", str(backup))
        assert code == 1
        assert message in stderr
    assert rows(site_settings.database_path, "SELECT id FROM sites") == [(SITE,)]
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_refuses_a_schema_newer_than_the_code(site_settings: Settings, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert (run_feedback(site_settings, "backup", str(backup)))[0] == 0
    with contextlib.closing(sqlite3.connect(backup)) as database:
        database.execute("PRAGMA user_version = 9999")
    code, _, stderr = run_feedback(site_settings, "restore", str(backup))
    assert code == 1
    assert "has schema version 9999; this code knows up to" in stderr
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_refuses_while_a_server_has_the_archive_open(site_settings: Settings, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert (run_feedback(site_settings, "backup", str(backup)))[0] == 0
    server = ServerProcess(site_settings, flush_seconds=3600, env=NO_FLUSHER)
    try:
        code, _, stderr = run_feedback(site_settings, "restore", str(backup))
        assert asyncio.run(send_votes(server, new_votes(0, 1, score=5))) == new_votes(0, 1, score=5)
    finally:
        server.terminate()
    assert code == 1
    assert "is in use: stop the server" in stderr
    assert not list(tmp_path.glob("*.before-restore-*"))
    assert stored_votes(site_settings.database_path) == expected_votes(new_votes(0, 1, score=5))


def test_restore_refuses_before_touching_the_archive_when_redis_is_unreachable(
    site_settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert (run_feedback(site_settings, "backup", str(backup)))[0] == 0
    code, _, stderr = run_feedback(
        site_settings, "restore", str(backup), redis_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    assert code == 1
    assert "is unreachable" in stderr
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_the_replaced_archive_is_kept_whole_with_what_its_wal_held(site_settings: Settings, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert (run_feedback(site_settings, "backup", str(backup)))[0] == 0
    # A process that committed into the -wal and died before any checkpoint, as a killed server does.
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('PRAGMA wal_autocheckpoint = 0')\n"
            "db.execute(\"INSERT INTO sites (id, origins, created_at) VALUES ('after-backup', '[]', 0)\")\n"
            "os._exit(0)\n",
            site_settings.database_path,
        ],
        check=False,
    )
    assert crashed.returncode == 0
    assert Path(site_settings.database_path + "-wal").stat().st_size > 0
    code, _, stderr = run_feedback(site_settings, "restore", str(backup))
    assert code == 0, stderr
    (kept,) = tmp_path.glob("*.before-restore-*")
    assert not Path(f"{kept}-wal").exists()
    assert rows(kept, "SELECT id FROM sites ORDER BY id") == [("after-backup",), (SITE,)]
    assert rows(site_settings.database_path, "SELECT id FROM sites") == [(SITE,)]
