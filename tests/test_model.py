"""Random sequences of votes, withdrawals, flushes, restarts, evictions and Redis outages give
the same summaries as a plain in-memory model."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.settings import Settings
from tests.support import SITE, LiveServer, RedisServer, add_site, flush, serve

ARTICLES = ["bài-1", "bài-2", "tin/3"]
READERS = [f"reader-{number:016d}" for number in range(5)]


@dataclass(frozen=True)
class Vote:
    article: int
    reader: int
    score: int


@dataclass(frozen=True)
class Withdraw:
    article: int
    reader: int


@dataclass(frozen=True)
class Flush:
    """Flush everything; articles idle since the last flush also leave Redis."""


@dataclass(frozen=True)
class Restart:
    """Stop the server (which flushes) and start a new one."""


@dataclass(frozen=True)
class RedisCrash:
    """Redis dies after a flush (so no acknowledged vote is lost) and stays down."""


@dataclass(frozen=True)
class RedisStart:
    """Redis comes back empty."""


Operation = Vote | Withdraw | Flush | Restart | RedisCrash | RedisStart

operations = st.one_of(
    st.builds(Vote, st.integers(0, len(ARTICLES) - 1), st.integers(0, len(READERS) - 1), st.integers(1, 5)),
    st.builds(Withdraw, st.integers(0, len(ARTICLES) - 1), st.integers(0, len(READERS) - 1)),
    st.just(Flush()),
    st.just(Restart()),
    st.just(RedisCrash()),
    st.just(RedisStart()),
)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("model-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("model-db")
    return (str(directory / f"feedback-{number}.sqlite3") for number in itertools.count())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operations, min_size=1, max_size=30))
def test_summaries_match_an_in_memory_model(
    private_redis: RedisServer, databases: Iterator[str], settings: Settings, steps: list[Operation]
) -> None:
    if private_redis.process is None:
        private_redis.start()
    private_redis.flushall()
    example_settings = replace(
        settings, redis_url=private_redis.url, database_path=next(databases), idle_article_seconds=0.001
    )
    asyncio.run(_run(example_settings, private_redis, steps))


async def _run(settings: Settings, redis: RedisServer, steps: list[Operation]) -> None:
    model: dict[tuple[str, str], int] = {}
    await add_site(settings)
    live_server = serve(settings)
    live = await live_server.__aenter__()
    try:
        for step in steps:
            match step:
                case Vote(article, reader, score):
                    response = await live.vote(ARTICLES[article], READERS[reader], score)
                    assert response.status_code == 200, response.text
                    model[ARTICLES[article], READERS[reader]] = score
                    await _check(live, model, ARTICLES[article], READERS[reader], response.json())
                case Withdraw(article, reader):
                    response = await live.withdraw(ARTICLES[article], READERS[reader])
                    assert response.status_code == 200, response.text
                    model.pop((ARTICLES[article], READERS[reader]), None)
                    await _check(live, model, ARTICLES[article], READERS[reader], response.json())
                case Flush():
                    if redis.process is not None:
                        await flush(settings)
                case Restart():
                    await live_server.__aexit__(None, None, None)
                    live_server = serve(settings)
                    live = await live_server.__aenter__()
                case RedisCrash():
                    if redis.process is not None:
                        await flush(settings)
                        redis.stop()
                case RedisStart():
                    if redis.process is None:
                        redis.start()
            for article in ARTICLES:
                await _check(live, model, article, READERS[0], await live.summary(article, reader=READERS[0]))
    finally:
        await live_server.__aexit__(None, None, None)
    if redis.process is None:
        redis.start()
    await flush(settings)
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute("SELECT article, reader, score FROM votes WHERE site = ? AND score IS NOT NULL", (SITE,))
        assert {(article, reader): score for article, reader, score in rows} == model


async def _check(
    live: LiveServer, model: dict[tuple[str, str], int], article: str, reader: str, summary: dict[str, object]
) -> None:
    scores = [score for (voted_article, _), score in model.items() if voted_article == article]
    assert summary["count"] == len(scores)
    assert summary["histogram"] == {str(score): scores.count(score) for score in range(1, 6)}
    assert summary["mine"] == model.get((article, reader))
