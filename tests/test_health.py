"""`/healthz` and `/readyz`: liveness, and readiness as load balancers see it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from dataclasses import replace

import httpx
from redis import Redis as SyncRedis

from feedback.hot.keys import ShardKeys
from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import READER, add_site, flush, serve, with_redis


def failing(response: httpx.Response) -> dict[str, str]:
    """The failing checks of a /readyz answer, by name, with why."""
    return {check["name"]: check["detail"] for check in response.json()["checks"] if not check["ok"]}


async def test_healthz_answers_ok_while_the_process_serves(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    async with serve(with_redis(settings, redis.url)) as live:
        redis.stop()  # no dependency is checked
        response = await live.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_health_endpoints_pass_by_cors(settings: Settings) -> None:
    async with serve(settings) as live:
        for path in ("/healthz", "/readyz"):
            response = await live.client.get(path, headers={"Origin": "https://elsewhere.example"})
            assert response.status_code == 200, path
            assert "access-control-allow-origin" not in response.headers


async def test_ready_when_redis_answers_sqlite_takes_a_write_and_nothing_waits(settings: Settings) -> None:
    async with serve(settings) as live:
        response = await live.client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert {check["name"]: check["ok"] for check in body["checks"]} == {
        "redis": True,
        "sqlite": True,
        "flush_lag": True,
    }


async def test_ready_without_redis_configured(settings: Settings) -> None:
    async with serve(with_redis(settings, "")) as live:
        response = await live.client.get("/readyz")
    assert response.status_code == 200, response.text
    details = {check["name"]: check["detail"] for check in response.json()["checks"]}
    assert "no Redis configured" in details["redis"]


async def test_not_ready_when_redis_is_stopped(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    async with serve(with_redis(settings, redis.url)) as live:
        redis.stop()
        response = await live.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
    assert "redis: Redis does not answer" in response.json()["error"]["message"]
    assert "Redis does not answer" in failing(response)["redis"]
    assert "sqlite" not in failing(response)


async def test_a_hung_redis_fails_the_check_instead_of_hanging_readyz(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    assert redis.process is not None
    async with serve(with_redis(settings, redis.url)) as live:
        os.kill(redis.process.pid, signal.SIGSTOP)  # accepts connections, answers nothing
        try:
            response = await live.client.get("/readyz")
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        assert response.status_code == 503
        assert failing(response)["redis"] == "no answer within 1 s"
        # Redis answers again: so does the check (the timed-out call left no stuck connection).
        assert (await live.client.get("/readyz")).status_code == 200


async def test_a_backlog_older_than_the_bound_is_not_ready_until_flushed(settings: Settings) -> None:
    settings = replace(settings, ready_max_lag_seconds=0.2)
    await add_site(settings)
    async with serve(settings) as live:
        assert (await live.vote("bai-1", READER, 4)).status_code == 200
        await asyncio.sleep(0.3)  # past the bound by Redis's clock too: it is this host's clock
        response = await live.client.get("/readyz")
        assert response.status_code == 503
        assert set(failing(response)) == {"flush_lag"}
        assert "the oldest unflushed event is" in failing(response)["flush_lag"]
        assert await flush(settings) == 1
        response = await live.client.get("/readyz")
        assert response.status_code == 200, response.text


async def test_events_applied_but_not_yet_trimmed_are_no_lag(settings: Settings) -> None:
    """A flusher that died between SQLite's commit and the trim leaves applied events in the
    stream: SQLite's recorded position, not the stream alone, says what is pending."""
    settings = replace(settings, ready_max_lag_seconds=0.2)
    await add_site(settings)
    async with serve(settings) as live:
        assert (await live.vote("bai-1", READER, 4)).status_code == 200
        shard = ShardKeys(0)
        with SyncRedis.from_url(settings.redis_url, decode_responses=True) as redis:
            epoch = redis.hget(shard.meta, "epoch")
            [(event_id, _)] = redis.xrange(shard.events)
        with sqlite3.connect(settings.database_path) as db:  # the position the commit recorded
            db.execute("INSERT INTO flush_positions (shard, epoch, last_id) VALUES (0, ?, ?)", (epoch, event_id))
        await asyncio.sleep(0.3)
        response = await live.client.get("/readyz")
    assert response.status_code == 200, response.text


async def test_not_ready_while_another_writer_holds_the_archive_too_long(settings: Settings) -> None:
    async with serve(settings) as live:
        writer = sqlite3.connect(settings.database_path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # as a hung flusher's transaction would
        try:
            response = await live.client.get("/readyz")
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert response.status_code == 503
        assert set(failing(response)) == {"sqlite"}
        assert "database is locked" in failing(response)["sqlite"]
        assert (await live.client.get("/readyz")).status_code == 200


async def test_not_ready_when_the_archive_file_is_gone(settings: Settings) -> None:
    archive, moved = settings.database_path, f"{settings.database_path}.moved"
    async with serve(settings) as live:
        os.rename(archive, moved)
        try:
            response = await live.client.get("/readyz")
        finally:
            os.rename(moved, archive)
        assert response.status_code == 503
        assert "unable to open database file" in failing(response)["sqlite"]
        assert (await live.client.get("/readyz")).status_code == 200
