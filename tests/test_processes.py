"""Real server processes: SIGKILL at any instant, SIGTERM, several workers."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from collections import defaultdict

import httpx
import pytest

from feedback.settings import Settings
from tests.support import SITE, ServerProcess

ARTICLES = ["bài-1", "bài-2", "bài-3", "bài-4"]
WRITERS = 12


Key = tuple[str, str]


class Outcomes:
    """What each reader's vote may be: the last acknowledged value plus any unanswered since."""

    def __init__(self) -> None:
        self.possible: dict[Key, set[int | None]] = defaultdict(lambda: {None})
        self.acknowledged = 0
        self.comments_acknowledged: set[str] = set()
        self.comments_unanswered: set[str] = set()

    def answered(self, key: Key, value: int | None) -> None:
        self.possible[key] = {value}
        self.acknowledged += 1

    def unanswered(self, key: Key, value: int | None) -> None:
        self.possible[key].add(value)


async def write_until_stopped(
    url: str, writer: int, outcomes: Outcomes, stop: asyncio.Event, comment_share: float = 0.0, round_: int = 0
) -> None:
    """One writer owns its readers, so each reader's requests are sequential. A `comment_share`
    of the requests post a comment, each with a body of its own."""
    rng = random.Random(f"{writer}-{round_}")
    readers = [f"writer-{writer:02d}-reader-{number:04d}" for number in range(20)]
    # Plain HTTP: without verify=False each client loads the CA bundle first (~30 ms of CPU), and
    # a dozen of them would eat most of a round before its first request.
    async with httpx.AsyncClient(base_url=url, timeout=5, verify=False) as client:
        while not stop.is_set():
            key = (rng.choice(ARTICLES), rng.choice(readers))
            if rng.random() < comment_share:
                await post_comment(client, key, f"{key[1]} {uuid.uuid4()}", outcomes)
                continue
            path = f"/api/v1/sites/{SITE}/articles/{key[0]}/rating"
            value = None if rng.random() < 0.15 else rng.randint(1, 5)
            try:
                if value is None:
                    response = await client.delete(path, params={"reader": key[1]})
                else:
                    response = await client.put(path, json={"score": value, "reader": key[1]})
            except httpx.HTTPError:
                outcomes.unanswered(key, value)
                await asyncio.sleep(0.01)
                continue
            if response.status_code == 200:
                outcomes.answered(key, value)
            else:
                outcomes.unanswered(key, value)


async def post_comment(client: httpx.AsyncClient, key: Key, body: str, outcomes: Outcomes) -> None:
    path = f"/api/v1/sites/{SITE}/articles/{key[0]}/comments"
    try:
        response = await client.post(path, json={"reader": key[1], "body": body})
    except httpx.HTTPError:
        outcomes.comments_unanswered.add(body)
        await asyncio.sleep(0.01)
        return
    if response.status_code == 202:
        outcomes.comments_acknowledged.add(body)
    else:
        outcomes.comments_unanswered.add(body)


def stored_comment_bodies(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.database_path) as db:
        return [body for (body,) in db.execute("SELECT body FROM comments WHERE site = ?", (SITE,))]


def stored_votes(settings: Settings, counted_only: bool = False) -> dict[Key, int]:
    """Current votes in SQLite; `counted_only`: without the suspect ones."""
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute(
            "SELECT article, reader, score FROM votes WHERE site = ? AND score IS NOT NULL AND suspect < ?",
            (SITE, 1 if counted_only else 2),
        )
        return {(article, reader): score for article, reader, score in rows}


def assert_event_log_is_a_chain(settings: Settings) -> None:
    """Each logged change starts from the score the previous one ended with: a doubled or
    skipped event would break the chain."""
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute(
            "SELECT k.article, e.reader, e.old_score, e.new_score FROM vote_events AS e "
            "JOIN article_keys AS k ON k.id = e.article_key ORDER BY e.id"
        ).fetchall()
        current: dict[Key, int | None] = {}
        for article, reader, old, new in rows:
            assert current.get((article, reader)) == old, (article, reader, old, new)
            assert old != new
            current[article, reader] = new
        stored = db.execute("SELECT article, reader, score FROM votes").fetchall()
        assert {(a, r): s for a, r, s in stored} == {key: s for key, s in current.items()}


async def assert_summaries_match(url: str, votes: dict[Key, int]) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.get(f"/api/v1/sites/{SITE}/summaries", params={"articles": ",".join(ARTICLES)})
        for summary in response.json()["summaries"]:
            scores = [score for (article, _), score in votes.items() if article == summary["article"]]
            assert summary["count"] == len(scores)
            assert summary["histogram"] == {str(score): scores.count(score) for score in range(1, 6)}


async def test_sigkill_at_any_instant_loses_no_acknowledged_vote_or_comment_and_doubles_none(
    site_settings: Settings,
) -> None:
    settings = site_settings
    outcomes = Outcomes()
    rng = random.Random(1)
    for round_ in range(50):
        # Flushing nearly all the time; all readers share one address, so about half are suspect.
        server = ServerProcess(settings, flush_seconds=0.02, readers_per_address="30")
        stop = asyncio.Event()
        writers = [
            asyncio.create_task(write_until_stopped(server.url, n, outcomes, stop, comment_share=0.2, round_=round_))
            for n in range(WRITERS)
        ]
        await asyncio.sleep(rng.uniform(0.1, 0.4))
        server.kill()
        stop.set()
        await asyncio.gather(*writers)
    assert outcomes.acknowledged > 500
    assert len(outcomes.comments_acknowledged) > 100

    # A last server flushes what the killed ones left in Redis as it stops.
    ServerProcess(settings, flush_seconds=3600).terminate()
    votes = stored_votes(settings)
    for key, possible in outcomes.possible.items():
        assert votes.get(key) in possible, (key, votes.get(key), possible)
    assert_event_log_is_a_chain(settings)
    bodies = stored_comment_bodies(settings)
    assert len(bodies) == len(set(bodies)), "a comment was stored twice"
    assert outcomes.comments_acknowledged <= set(bodies), "an acknowledged comment was lost"
    assert set(bodies) <= outcomes.comments_acknowledged | outcomes.comments_unanswered
    counted = stored_votes(settings, counted_only=True)
    assert 0 < len(counted) < len(votes), "some votes are suspect, not all"
    server = ServerProcess(settings, flush_seconds=3600)
    await assert_summaries_match(server.url, counted)
    server.terminate()


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_flushes_everything_pending(site_settings: Settings, workers: int) -> None:
    server = ServerProcess(site_settings, flush_seconds=3600, workers=workers)
    async with httpx.AsyncClient(base_url=server.url) as client:
        for number in range(20):
            reader = f"reader-{number:016d}"
            path = f"/api/v1/sites/{SITE}/articles/bài-1/rating"
            assert (await client.put(path, json={"score": 1 + number % 5, "reader": reader})).status_code == 200
    server.terminate()
    votes = stored_votes(site_settings)
    assert len(votes) == 20
    assert sorted(votes.values()) == sorted(1 + number % 5 for number in range(20))


async def test_two_workers_stay_exact_with_one_flusher(site_settings: Settings) -> None:
    server = ServerProcess(site_settings, flush_seconds=0.05, workers=2)
    outcomes = Outcomes()
    stop = asyncio.Event()
    writers = [asyncio.create_task(write_until_stopped(server.url, n, outcomes, stop)) for n in range(WRITERS)]
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*writers)
    expected = {key: next(iter(values)) for key, values in outcomes.possible.items()}
    assert all(len(values) == 1 for values in outcomes.possible.values()), "every request was answered"
    expected_votes = {key: value for key, value in expected.items() if value is not None}
    await assert_summaries_match(server.url, expected_votes)
    server.terminate()
    assert stored_votes(site_settings) == expected_votes
    assert_event_log_is_a_chain(site_settings)
