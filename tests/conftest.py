"""Fixtures: a private redis-server per test session, a fresh SQLite file and a live server per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from feedback.settings import Settings
from tests.dashboards import Dashboard, add_sites_and_users
from tests.support import LiveServer, RedisServer, add_site, serve


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


OwnRedis = Callable[..., RedisServer]
"""Starts a redis-server of the test's own: `own_redis(appendonly=False, arguments=())`."""


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server for one test, which it may stop, kill and start again (in `tmp_path /
    "redis"`); killed when the test ends, however it ends."""
    started: list[RedisServer] = []

    def start(appendonly: bool = False, arguments: tuple[str, ...] = ()) -> RedisServer:
        server = RedisServer(tmp_path / "redis", appendonly=appendonly, arguments=arguments)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def settings(redis_server: RedisServer, tmp_path: Path) -> Settings:
    redis_server.flushall()
    return Settings(
        redis_url=redis_server.url,
        database_path=str(tmp_path / "feedback.sqlite3"),
        flush_seconds=3600,  # tests flush when they mean to
        secret="test-secret",
        idle_article_seconds=600,
        flush_lease_seconds=5,
        redis_shards=1,
        # No periodic flusher: its first flush, at start-up, could take a test's first votes
        # before the test flushes them itself. A server still flushes what it holds when it stops.
        flusher_in_server=False,
        vote_rate=None,  # tests enable limits explicitly, with dataclasses.replace
        comment_rate=None,
        readers_per_address=None,
        trusted_proxies=(),
        ready_max_lag_seconds=30,
        metrics=False,  # tests that read /metrics turn it on
        metrics_allow=Settings.from_env({}).metrics_allow,
        metrics_multiprocess_dir="",
        log_format="json",
    )


@pytest.fixture
async def site_settings(settings: Settings) -> Settings:
    """Settings whose archive has the site SITE."""
    await add_site(settings)
    return settings


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    await add_site(settings)
    async with serve(settings) as server:
        yield server


@pytest.fixture
async def dashboard(settings: Settings) -> AsyncIterator[Dashboard]:
    await add_sites_and_users(settings)
    async with serve(settings) as live:
        yield Dashboard(live)
