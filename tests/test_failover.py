"""Redis coming back with a tail of its history lost (a replica promoted before it received the
last writes, a restart from an older snapshot): what SQLite applied of that tail is served and
counted once, and what Redis takes afterwards is flushed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from redis import Redis as SyncRedis

from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import add_site, flush, serve, with_redis
from tests.test_durability import histogram_of, reader, stored_votes


async def test_redis_restarted_from_older_data_serves_and_counts_what_sqlite_has(
    settings: Settings, tmp_path: Path, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        for number in (1, 2, 3):
            await live.vote("bai-1", reader(number), 5)
        await flush(settings)
        with SyncRedis.from_url(redis.url) as client:
            client.save()  # the older data Redis comes back with
        older = tmp_path / "older.rdb"
        shutil.copy(redis.directory / "dump.rdb", older)
        for number in (4, 5, 6):
            await live.vote("bai-1", reader(number), 4)
        await live.vote("bai-1", reader(1), 1)
        await flush(settings)  # SQLite has all six; the snapshot has three

        redis.stop()
        shutil.copy(older, redis.directory / "dump.rdb")
        redis.start()
        await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
        # Changed and given on a copy that lacks what SQLite has: neither may count twice.
        await live.vote("bai-1", reader(4), 2)
        await live.vote("bai-1", reader(7), 3)
        await flush(settings)

        expected = {reader(1): 1, reader(2): 5, reader(3): 5, reader(4): 2, reader(5): 4, reader(6): 4}
        expected[reader(7)] = 3  # taken by the restarted Redis: flushed, not skipped
        assert stored_votes(settings, "bai-1") == expected
        summary = await live.summary("bai-1", reader=reader(1))
        assert summary["count"] == 7
        assert summary["histogram"] == histogram_of(expected)
        assert summary["mine"] == 1
        assert await flush(settings) == 0  # found once: the next flush resumes as usual
        assert (await live.summary("bai-1"))["histogram"] == histogram_of(expected)


async def test_a_primary_without_its_replicas_sends_votes_to_sqlite(settings: Settings, own_redis: OwnRedis) -> None:
    """With `min-replicas-to-write`, a primary cut off from its replicas (by a partition, say)
    refuses writes: votes go to SQLite instead of failing, until it has them back."""
    redis = own_redis(arguments=("--min-replicas-to-write", "1"))
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        response = await live.vote("bai-1", reader(1), 4)
        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert stored_votes(settings, "bai-1") == {reader(1): 4}  # written there at once, not flushed
        with SyncRedis.from_url(redis.url) as client:
            client.config_set("min-replicas-to-write", 0)
        await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
        await live.vote("bai-1", reader(2), 2)
        assert stored_votes(settings, "bai-1") == {reader(1): 4}  # through Redis again
        assert (await live.summary("bai-1"))["count"] == 2
