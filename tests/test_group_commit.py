"""Group commit: concurrent votes share one Redis call, and lose none of the pipeline's promises."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence

import pytest
from redis import Redis as SyncRedis
from redis.exceptions import ResponseError

from feedback.archive import Archive
from feedback.errors import ArticleBusy
from feedback.hot import HotStore, connect
from feedback.hot import keys as keys_module
from feedback.hot.keys import KeyLayout
from feedback.models import VoteChange
from feedback.services.coalescing import Coalescer
from feedback.services.hot_requests import MAX_BATCH
from feedback.services.ratings import Ratings
from feedback.settings import Settings
from tests.support import READER, SITE, LiveServer, flush, ratings_through


async def test_batches_respect_the_size_cap_and_keep_submission_order() -> None:
    batches: list[list[int]] = []
    in_flight = 0

    async def run_batch(items: Sequence[int]) -> list[int]:
        nonlocal in_flight
        in_flight += 1
        assert in_flight == 1, "one batch at a time"
        batches.append(list(items))
        await asyncio.sleep(0.001)
        in_flight -= 1
        return [item * 10 for item in items]

    coalescer: Coalescer[int, int] = Coalescer(run_batch, max_batch=100)
    results = await asyncio.gather(*(coalescer.submit(number) for number in range(650)))
    assert results == [number * 10 for number in range(650)]
    assert max(len(batch) for batch in batches) == 100
    assert [item for batch in batches for item in batch] == list(range(650))


async def test_requests_arriving_during_a_batch_travel_together_in_the_next() -> None:
    batches: list[list[int]] = []

    async def run_batch(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return list(items)

    coalescer: Coalescer[int, int] = Coalescer(run_batch, max_batch=1000)
    first = asyncio.ensure_future(coalescer.submit(0))
    await asyncio.sleep(0.001)  # the first batch is in flight now
    await asyncio.gather(first, *(coalescer.submit(number) for number in range(1, 51)))
    assert batches == [[0], list(range(1, 51))]


@pytest.mark.parametrize("max_in_flight", [1, 2])
async def test_a_request_made_as_soon_as_the_last_batch_is_answered_runs_too(max_in_flight: int) -> None:
    """Its submitter wakes before the finished drainer's done callbacks run."""

    async def run_batch(items: Sequence[int]) -> list[int]:
        return list(items)

    coalescer: Coalescer[int, int] = Coalescer(run_batch, max_batch=10, max_in_flight=max_in_flight)
    for number in range(5):
        assert await asyncio.wait_for(coalescer.submit(number), timeout=5) == number


async def test_heavy_reads_may_have_several_batches_in_flight_but_no_more() -> None:
    in_flight = most_in_flight = 0
    batch_sizes: list[int] = []

    async def run_batch(items: Sequence[int]) -> list[int]:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        batch_sizes.append(len(items))
        await asyncio.sleep(0.005)
        in_flight -= 1
        return [item * 10 for item in items]

    coalescer: Coalescer[int, int] = Coalescer(run_batch, max_batch=10, max_in_flight=2)
    results = await asyncio.gather(*(coalescer.submit(number) for number in range(100)))
    assert results == [number * 10 for number in range(100)]
    assert most_in_flight == 2
    assert max(batch_sizes) == 10


async def test_list_pages_and_single_reads_are_answered_from_redis(ratings: Ratings, settings: Settings) -> None:
    """Lists go through their own batches, two in flight: each request still gets its own."""
    for number in range(30):
        await ratings.change_vote(VoteChange(SITE, f"list-{number}", READER, 1 + number % 5))
    pages = [[f"list-{number}" for number in range(start, start + 20)] for start in range(0, 10)]
    answers = await asyncio.gather(
        *(ratings.summaries(SITE, page) for page in pages), *(ratings.summaries(SITE, [f"list-{n}"]) for n in range(30))
    )
    for page, summaries in zip(pages, answers, strict=False):
        assert [summary.article for summary in summaries] == page
        assert [summary.histogram.index(1) + 1 for summary in summaries] == [1 + int(a[5:]) % 5 for a in page]
    for number, (summary,) in enumerate(answers[len(pages) :]):
        assert summary.article == f"list-{number}"


async def test_a_failed_batch_fails_every_request_in_it_and_the_next_batch_runs() -> None:
    calls = 0

    async def run_batch(items: Sequence[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis went away")
        return list(items)

    coalescer: Coalescer[int, int] = Coalescer(run_batch, max_batch=1000)
    results = await asyncio.gather(*(coalescer.submit(number) for number in range(5)), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    assert await coalescer.submit(7) == 7


@pytest.fixture
async def ratings(settings: Settings) -> AsyncIterator[Ratings]:
    redis = connect(settings.redis_url)
    async with await Archive.open(settings.database_path) as archive:
        yield ratings_through(HotStore(redis), archive)
    await redis.aclose()


def change(article: str, score: int | None, reader: str = READER) -> VoteChange:
    return VoteChange(SITE, article, reader, score)


async def test_a_batch_redis_rejects_records_nothing_half_way(ratings: Ratings, settings: Settings) -> None:
    await ratings.change_vote(change("good-1", 1))
    await ratings.change_vote(change("good-2", 1))
    location = KeyLayout(shards=1).locate(SITE, "broken")
    SyncRedis.from_url(settings.redis_url).set(location.key, "not a hash")
    stream_length = SyncRedis.from_url(settings.redis_url).xlen(location.shard.events)

    results = await asyncio.gather(
        ratings.change_vote(change("good-1", 5, "reader-0000000000000009")),
        ratings.change_vote(change("broken", 3)),
        ratings.change_vote(change("good-2", 5, "reader-0000000000000009")),
        return_exceptions=True,
    )
    assert all(isinstance(result, ResponseError) for result in results), results
    assert SyncRedis.from_url(settings.redis_url).xlen(location.shard.events) == stream_length
    for article in ("good-1", "good-2"):
        (summary,) = await ratings.summaries(SITE, [article])
        assert summary.histogram == (1, 0, 0, 0, 0)


async def test_one_readers_successive_votes_keep_their_order(ratings: Ratings, settings: Settings) -> None:
    scores = [1 + number % 5 for number in range(3 * MAX_BATCH)] + [2]
    await asyncio.gather(*(ratings.change_vote(change("bai-1", score)) for score in scores))
    (summary,) = await ratings.summaries(SITE, ["bai-1"], READER)
    assert summary.reader_score == 2
    assert summary.histogram == (0, 1, 0, 0, 0)
    await flush(settings)
    with sqlite3.connect(settings.database_path) as db:
        logged = [new for (new,) in db.execute("SELECT new_score FROM vote_events ORDER BY id")]
    assert logged == scores


async def test_votes_in_one_batch_for_a_cold_article_load_it_once_and_count_each(
    ratings: Ratings, settings: Settings
) -> None:
    readers = [f"reader-{number:016d}" for number in range(40)]
    await asyncio.gather(*(ratings.change_vote(change("cold", 4, reader)) for reader in readers))
    (summary,) = await ratings.summaries(SITE, ["cold"])
    assert summary.histogram == (0, 0, 0, 40, 0)


async def test_a_vote_redis_rejects_is_answered_with_a_json_error(live: LiveServer) -> None:
    location = KeyLayout(shards=1).locate(SITE, "broken")
    SyncRedis.from_url(live.settings.redis_url).set(location.key, "not a hash")
    response = await live.vote("broken", READER, 3)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


async def test_an_article_that_cannot_be_loaded_fails_only_its_own_requests(
    ratings: Ratings, settings: Settings
) -> None:
    await ratings.change_vote(change("hot", 1))
    keys = KeyLayout(shards=1)
    # Every snapshot SQLite gives looks older than what the flusher applied: "cold" cannot load.
    SyncRedis.from_url(settings.redis_url).hset(keys.locate(SITE, "hot").shard.meta, "flushed", "99999999999999-0")

    hot, cold = await asyncio.gather(
        ratings.change_vote(change("hot", 5, "reader-0000000000000009")),
        ratings.change_vote(change("cold", 3)),
        return_exceptions=True,
    )
    assert isinstance(cold, ArticleBusy)
    assert not isinstance(hot, BaseException)
    assert hot.histogram == (1, 0, 0, 0, 1)
    read_hot, read_both = await asyncio.gather(
        ratings.summaries(SITE, ["hot"]), ratings.summaries(SITE, ["hot", "cold"]), return_exceptions=True
    )
    assert not isinstance(read_hot, BaseException)
    assert [summary.histogram for summary in read_hot] == [(1, 0, 0, 0, 1)]
    assert isinstance(read_both, ArticleBusy)


def test_article_locations_are_kept_up_to_a_bound_then_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys_module, "LOCATIONS_KEPT", 3)
    keys = KeyLayout(shards=4)
    first = keys.locate(SITE, "bai-1")
    assert keys.locate(SITE, "bai-1") is first
    assert keys.locate("another-site", "bai-1").key != first.key
    keys.locate(SITE, "bai-2")
    keys.locate(SITE, "bai-3")  # a fourth location: the cache starts afresh
    again = keys.locate(SITE, "bai-1")
    assert again is not first
    assert again == first


async def test_a_batch_over_several_shards_answers_each_request_from_its_shard(settings: Settings) -> None:
    redis = connect(settings.redis_url)
    store = HotStore(redis, shards=4)
    articles = [f"bai-{number}" for number in range(12)]
    assert len({store.keys.locate(SITE, article).shard for article in articles}) > 1
    async with await Archive.open(settings.database_path) as archive:
        ratings = ratings_through(store, archive)
        scores = [1 + number % 5 for number in range(len(articles))]
        summaries_after_votes = await asyncio.gather(
            *(ratings.change_vote(change(article, score)) for article, score in zip(articles, scores, strict=True))
        )
        listed = await ratings.summaries(SITE, articles, READER)
        # One at a time too: a batch whose articles are all in one shard.
        alone = [(await ratings.summaries(SITE, [article], READER))[0] for article in articles]
    await redis.aclose()
    for summaries in (summaries_after_votes, listed, alone):
        assert [summary.article for summary in summaries] == articles
        assert [summary.reader_score for summary in summaries] == scores
        assert [summary.histogram.index(1) + 1 for summary in summaries] == scores
