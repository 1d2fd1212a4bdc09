"""The vote path's promises: exact summaries, nothing lost or doubled across flushes, restarts,
Redis outages and wipes, and one flusher at a time."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redis import Redis as SyncRedis

from feedback.archive import Archive, FlushPosition
from feedback.hot import COLD, HotStore, Load, RedisClock, connect
from feedback.hot.keys import KeyLayout
from feedback.hot.stream import EventStreams
from feedback.models import ArticleState, VoteChange, VoteEvent
from feedback.services import flusher as flusher_module
from feedback.services.wiring import hot_store, standalone_flusher
from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import SITE, LiveServer, RedisServer, add_site, flush, ratings_through, serve, with_redis


def reader(number: int) -> str:
    return f"reader-{number:016d}"


def stored_votes(settings: Settings, article: str) -> dict[str, int]:
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute(
            "SELECT reader, score FROM votes WHERE site = ? AND article = ? AND score IS NOT NULL", (SITE, article)
        )
        return dict(rows.fetchall())


def stored_events(settings: Settings, article: str) -> list[tuple[str, int | None, int | None]]:
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute(
            "SELECT e.reader, e.old_score, e.new_score FROM vote_events AS e "
            "JOIN article_keys AS k ON k.id = e.article_key "
            "WHERE k.site = ? AND k.article = ? ORDER BY e.id",
            (SITE, article),
        )
        return rows.fetchall()


def histogram_of(scores: dict[str, int]) -> dict[str, int]:
    return {str(score): sum(1 for value in scores.values() if value == score) for score in range(1, 6)}


async def test_flush_moves_votes_and_their_history_into_sqlite(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 2)
        await live.vote("bai-1", reader(1), 4)
        await live.vote("bai-1", reader(2), 5)
        await live.withdraw("bai-1", reader(2))
        assert await flush(settings) == 4
        assert stored_votes(settings, "bai-1") == {reader(1): 4}
        assert stored_events(settings, "bai-1") == [
            (reader(1), None, 2),
            (reader(1), 2, 4),
            (reader(2), None, 5),
            (reader(2), 5, None),
        ]
        assert (await live.summary("bai-1"))["histogram"] == histogram_of({reader(1): 4})


async def test_a_second_flush_applies_nothing_again(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 3)
        assert await flush(settings) == 1
        assert await flush(settings) == 0
        assert len(stored_events(settings, "bai-1")) == 1


async def test_replayed_events_change_nothing(settings: Settings) -> None:
    events = [
        VoteEvent(VoteChange(SITE, "bai-1", reader(1), 2), version=10, at_ms=1),
        VoteEvent(VoteChange(SITE, "bai-1", reader(1), 5), version=11, at_ms=2),
    ]
    async with await Archive.open(settings.database_path) as archive:
        await archive.flush.apply(0, FlushPosition("epoch", "2-0"), events, [])
        await archive.flush.apply(0, FlushPosition("epoch", "2-0"), events, [])
        await archive.flush.apply(0, FlushPosition("epoch", "2-0"), events[:1], [])
    assert stored_votes(settings, "bai-1") == {reader(1): 5}
    assert stored_events(settings, "bai-1") == [(reader(1), None, 2), (reader(1), 2, 5)]


async def test_flush_interrupted_after_commit_is_not_applied_twice(settings: Settings) -> None:
    """A flusher killed between SQLite's commit and the stream trim: the retry skips those events."""
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 3)
        await live.vote("bai-1", reader(2), 4)
        redis = connect(settings.redis_url)
        store = HotStore(redis)
        epoch = await store.streams.epoch(0)
        assert epoch is not None
        entries = await store.streams.pending(0, "0-0", 100)
        async with await Archive.open(settings.database_path) as archive:
            votes = [entry.event for entry in entries if isinstance(entry.event, VoteEvent)]
            await archive.flush.apply(0, FlushPosition(epoch, entries[-1].id), votes, [])
        await redis.aclose()  # ... and the process dies here: the stream was never trimmed
        assert await flush(settings) == 0
        assert len(stored_events(settings, "bai-1")) == 2
        await live.vote("bai-1", reader(3), 5)
        assert await flush(settings) == 1
        assert stored_votes(settings, "bai-1") == {reader(1): 3, reader(2): 4, reader(3): 5}


async def test_chunks_read_and_acknowledged_in_pieces_apply_every_event_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 4 events, read and trimmed 2 at a time, one piece's trim lost to a crash: every
    event reaches SQLite once, and the next flush trims what was left."""
    monkeypatch.setattr(flusher_module, "CHUNK_SIZE", 4)
    monkeypatch.setattr(flusher_module, "PIECE_SIZE", 2)
    acknowledge = EventStreams.acknowledge
    calls = 0

    async def crash_on_the_third_piece(self: EventStreams, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionError("the flusher dies between two pieces")
        await acknowledge(self, *args, **kwargs)

    await add_site(settings)
    async with serve(settings) as live:
        for number in range(9):
            await live.vote("bai-1", reader(number), 1 + number % 5)
        monkeypatch.setattr(EventStreams, "acknowledge", crash_on_the_third_piece)
        with pytest.raises(ConnectionError):
            await flush(settings)
        monkeypatch.setattr(EventStreams, "acknowledge", acknowledge)
        assert await flush(settings) == 1  # the ninth: the second chunk was committed
        assert await flush(settings) == 0
        with SyncRedis.from_url(settings.redis_url) as redis:
            assert redis.xlen("feedback:{0}:events") == 0
    assert stored_votes(settings, "bai-1") == {reader(number): 1 + number % 5 for number in range(9)}
    assert len(stored_events(settings, "bai-1")) == 9


async def test_a_chunk_sqlite_refuses_stops_the_flush_with_the_chunks_before_it_applied(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When SQLite refuses a chunk, the flush fails with SQLite's error, every chunk before it
    is applied and trimmed, and nothing of it or after it is lost: the next flush applies them
    once SQLite takes them."""
    monkeypatch.setattr(flusher_module, "CHUNK_SIZE", 4)
    monkeypatch.setattr(flusher_module, "PIECE_SIZE", 2)
    await add_site(settings)
    async with serve(settings) as live:
        for number in range(10):
            await live.vote("bai-1", reader(number), 1 + number % 5)
        with sqlite3.connect(settings.database_path) as db:
            db.execute(
                "CREATE TRIGGER refuse_a_reader BEFORE INSERT ON vote_events "
                f"WHEN NEW.reader = '{reader(4)}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        with pytest.raises(sqlite3.IntegrityError, match="refused"):
            await flush(settings)
        assert sorted(stored_votes(settings, "bai-1")) == [reader(number) for number in range(4)]
        with SyncRedis.from_url(settings.redis_url) as redis:
            assert redis.xlen("feedback:{0}:events") == 6
        with sqlite3.connect(settings.database_path) as db:
            db.execute("DROP TRIGGER refuse_a_reader")
        assert await flush(settings) == 6
    assert stored_votes(settings, "bai-1") == {reader(number): 1 + number % 5 for number in range(10)}
    assert len(stored_events(settings, "bai-1")) == 10


async def test_votes_survive_a_server_restart_before_flush(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 1)
    async with serve(settings) as live:
        # Shutting down flushed; a vote after the restart changes the same reader's score.
        assert stored_votes(settings, "bai-1") == {reader(1): 1}
        body = (await live.vote("bai-1", reader(1), 5)).json()
        assert body["count"] == 1
        assert body["histogram"]["5"] == 1


async def test_wiped_redis_serves_flushed_votes_from_sqlite(settings: Settings, redis_server: RedisServer) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        for number in range(5):
            await live.vote("bai-1", reader(number), number + 1)
        await flush(settings)
        redis_server.flushall()  # a Redis restarted without persistence
        assert (await live.summary("bai-1", reader=reader(2)))["mine"] == 3
        body = (await live.vote("bai-1", reader(2), 5)).json()
        assert body["count"] == 5
        assert body["histogram"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 2}
        assert await flush(settings) == 1
        assert stored_votes(settings, "bai-1")[reader(2)] == 5


async def test_redis_outage_sends_votes_to_sqlite_and_back(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await live.vote("bai-1", reader(2), 2)
        await flush(settings)
        redis.stop()
        # Redis is gone: votes are answered 200, straight from SQLite, and stay exact.
        assert (await live.vote("bai-1", reader(3), 5)).status_code == 200
        body = (await live.vote("bai-1", reader(1), 1)).json()
        assert body["histogram"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1}
        assert (await live.summary("bai-1", reader=reader(1)))["mine"] == 1
        assert stored_votes(settings, "bai-1") == {reader(1): 1, reader(2): 2, reader(3): 5}
        redis.start()  # back, and empty
        await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
        body = (await live.vote("bai-1", reader(4), 3)).json()
        assert body["count"] == 4
        assert body["histogram"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 1}
        await flush(settings)
        assert stored_votes(settings, "bai-1") == {reader(1): 1, reader(2): 2, reader(3): 5, reader(4): 3}


async def outage_behind_a_copy(live: LiveServer, redis: RedisServer) -> None:
    """Readers 1 (a 3) and 2 (a 4) vote through Redis, not flushed; during an outage reader 1's
    newer 5 and reader 3's 1 go straight into SQLite; then Redis is back with its data (AOF), a
    copy of the article that lacks them."""
    await live.vote("bai-1", reader(1), 3)
    await live.vote("bai-1", reader(2), 4)
    redis.stop()
    await live.vote("bai-1", reader(1), 5)
    await live.vote("bai-1", reader(3), 1)
    redis.start()
    await asyncio.sleep(1.1)  # the API retries Redis a second after it failed


async def test_redis_returning_with_stale_state_is_reconciled(settings: Settings, own_redis: OwnRedis) -> None:
    """Redis kept its data (AOF) through an outage during which votes went to SQLite."""
    redis = own_redis(appendonly=True)
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        await outage_behind_a_copy(live, redis)
        await flush(settings)  # applies Redis's older vote of reader 1, drops Redis's stale copy
        expected = {reader(1): 5, reader(3): 1}
        assert stored_votes(settings, "bai-1") == expected | {reader(2): 4}
        summary = await live.summary("bai-1", reader=reader(1))
        assert summary["mine"] == 5
        assert summary["histogram"] == histogram_of(expected | {reader(2): 4})


async def test_a_busy_article_is_not_served_stale_after_an_outage(settings: Settings, own_redis: OwnRedis) -> None:
    """Redis kept its data through an outage during which votes went to SQLite, and the article
    receives a vote through Redis after every flush of its shard, so Redis's copy always has a
    vote not flushed yet: the flush after the return still replaces that copy."""
    redis = own_redis(appendonly=True)
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    busy = hot_store(settings)
    readers = iter(range(100, 1_000))
    busy_votes: dict[str, int] = {}
    try:
        async with serve(settings) as live:
            await outage_behind_a_copy(live, redis)
            async with standalone_flusher(settings) as flusher:
                flush_shard = flusher._flush_shard

                async def flush_then_vote(shard: int) -> int:
                    # A reader votes between each flush of the shard and the flusher's next step,
                    # through Redis's own script: the interleaving a busy article meets.
                    applied = await flush_shard(shard)
                    token = reader(next(readers))
                    if (await busy.votes.apply([VoteChange(SITE, "bai-1", token, 4)]))[0] is not COLD:
                        busy_votes[token] = 4
                    return applied

                flusher._flush_shard = flush_then_vote  # type: ignore[method-assign]
                assert await flusher.flush_all(wait_seconds=10) is not None
            summary = await live.summary("bai-1", reader=reader(1))
            expected = {reader(1): 5, reader(2): 4, reader(3): 1} | busy_votes
            assert summary["mine"] == 5
            assert summary["histogram"] == histogram_of(expected)
            await flush(settings)
            assert stored_votes(settings, "bai-1") == expected
    finally:
        await busy.redis.aclose()


async def test_redis_restarted_from_a_shorter_history_is_caught_up(
    settings: Settings, tmp_path: Path, own_redis: OwnRedis
) -> None:
    """Redis comes back with its data as it was a moment before it died (an AOF that lost its
    last second, in the same epoch), after SQLite had applied events it no longer has, and takes
    votes on its stale copy before the flusher notices: those articles are reloaded from SQLite,
    and every vote counts once."""
    redis = own_redis(appendonly=True)
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await flush(settings)
        redis.stop()  # appendfsync always: the AOF holds everything until now
        shutil.copytree(redis.directory, tmp_path / "redis-then")
        redis.start()
        await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
        await live.vote("bai-1", reader(2), 5)
        await live.vote("bai-1", reader(1), 2)
        await live.vote("bai-2", reader(3), 3)
        await flush(settings)  # SQLite has them; the Redis below will not
        redis.stop()
        shutil.rmtree(redis.directory)
        shutil.copytree(tmp_path / "redis-then", redis.directory)
        redis.start()
        await asyncio.sleep(1.1)
        await live.vote("bai-1", reader(2), 3)  # a change Redis's copy takes for a first vote
        await live.vote("bai-1", reader(4), 1)
        await flush(settings)
        expected = {reader(1): 2, reader(2): 3, reader(4): 1}
        assert stored_votes(settings, "bai-1") == expected
        summary = await live.summary("bai-1", reader=reader(1))
        assert summary["mine"] == 2
        assert summary["histogram"] == histogram_of(expected)
        assert (await live.summary("bai-2"))["count"] == 1
        assert await flush(settings) == 0  # found once: the next flush resumes as usual


async def test_a_fenced_copy_is_served_from_sqlite_until_it_is_gone(settings: Settings) -> None:
    """A stale copy with votes not flushed yet is fenced, not dropped: its article's requests are
    answered from SQLite meanwhile (not made to wait), and once its votes are flushed the next
    load finishes the drop, though no stale mark asks for it any more."""
    await add_site(settings)
    keys = KeyLayout(shards=1)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)  # not flushed
        store = HotStore(connect(settings.redis_url))
        try:
            assert not await store.articles.drop(SITE, "bai-1")  # fenced instead
            body = (await live.vote("bai-1", reader(2), 2)).json()
            assert stored_votes(settings, "bai-1") == {reader(2): 2}  # straight into SQLite
            assert body["histogram"] == histogram_of({reader(2): 2})  # exact over what SQLite holds
            async with await Archive.open(settings.database_path) as archive:
                await archive.stale.forget(*await archive.stale.all())  # the fence alone is left
            async with standalone_flusher(settings) as flusher:
                await flusher._flush_shard(0)  # the fenced copy's vote, without the stale drop
            summary = await live.summary("bai-1", reader=reader(2))
            assert summary["histogram"] == histogram_of({reader(1): 4, reader(2): 2})
            assert summary["mine"] == 2
            assert not await store.redis.hexists(keys.locate(SITE, "bai-1").key, "#f")
            assert (await live.vote("bai-1", reader(3), 5)).json()["count"] == 3
            assert stored_votes(settings, "bai-1") == {reader(1): 4, reader(2): 2}  # reader 3 through Redis
        finally:
            await store.redis.aclose()


async def test_a_late_acknowledgement_never_moves_flushed_back(settings: Settings) -> None:
    """A flusher that lost its lease may acknowledge after the one that took over: Redis's
    `flushed` stays the later id (an older one, its entry trimmed, would read as lost events)."""
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await live.vote("bai-1", reader(2), 3)
        await flush(settings)
        store = HotStore(connect(settings.redis_url))
        try:
            meta = KeyLayout(shards=1).locate(SITE, "bai-1").shard.meta
            flushed = await store.redis.hget(meta, "flushed")
            epoch = await store.streams.epoch(0)
            assert flushed and epoch
            await store.streams.acknowledge(0, epoch, "1-0")
            assert await store.redis.hget(meta, "flushed") == flushed
        finally:
            await store.redis.aclose()
        assert await flush(settings) == 0  # not taken for a Redis that lost events
        assert (await live.summary("bai-1"))["count"] == 2


async def test_cold_article_hit_by_64_concurrent_first_votes_counts_each_once(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as first, serve(settings) as second:
        for number in range(10):
            await first.vote("bai-1", reader(number), 5)
        await flush(settings)
        SyncRedis.from_url(settings.redis_url).flushall()  # the article is cold again

        async def vote(number: int) -> None:
            server = first if number % 2 else second
            assert (await server.vote("bai-1", reader(number), 1 + number % 5)).status_code == 200

        await asyncio.gather(*(vote(number) for number in range(10, 74)))
        summary = await first.summary("bai-1")
        assert summary["count"] == 74
        await flush(settings)
        assert len(stored_votes(settings, "bai-1")) == 74
        assert summary["histogram"] == histogram_of(stored_votes(settings, "bai-1"))


async def test_two_flushers_at_once_apply_every_event_once(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        await asyncio.gather(*(live.vote(f"bai-{number % 7}", reader(number), 1 + number % 5) for number in range(300)))
        await asyncio.gather(*(live.vote(f"bai-{number % 7}", reader(number), 5) for number in range(0, 300, 3)))
        applied = await asyncio.gather(flush(settings), flush(settings), flush(settings))
        assert sum(applied) == 300 + len([n for n in range(0, 300, 3) if 1 + n % 5 != 5])
        with sqlite3.connect(settings.database_path) as db:
            assert db.execute("SELECT count(*) FROM vote_events").fetchone()[0] == sum(applied)
            assert db.execute("SELECT count(*) FROM votes").fetchone()[0] == 300


async def test_idle_articles_leave_redis_once_flushed_and_come_back_exact(settings: Settings) -> None:
    settings = replace(settings, idle_article_seconds=0.05)
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await live.vote("bai-1", reader(2), 2)
        await asyncio.sleep(0.1)
        await flush(settings)
        redis = SyncRedis.from_url(settings.redis_url)
        assert not [key for key in redis.keys("feedback:*:a:*")]
        assert (await live.summary("bai-1", reader=reader(2)))["mine"] == 2
        body = (await live.vote("bai-1", reader(2), 5)).json()
        assert body["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}


async def test_an_article_changed_lately_stays_in_redis_though_loaded_long_ago(settings: Settings) -> None:
    """Idle means no change for the idle time: the flusher marks each article it applies
    events of with its last event's time (votes do not, to keep them cheap)."""
    settings = replace(settings, idle_article_seconds=0.5)
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await live.vote("bai-2", reader(1), 4)
        await asyncio.sleep(0.6)
        await live.vote("bai-1", reader(2), 2)  # changed now; bai-2 idle since its vote
        await flush(settings)
        keys = KeyLayout(shards=1)
        with SyncRedis.from_url(settings.redis_url) as redis:
            assert redis.exists(keys.locate(SITE, "bai-1").key)
            assert not redis.exists(keys.locate(SITE, "bai-2").key)
        assert (await live.summary("bai-1"))["count"] == 2


async def test_connections_redis_closed_are_opened_again_not_taken_for_an_outage(settings: Settings) -> None:
    """After a Redis restart or idle timeout, the next votes still go through Redis."""
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        assert (await live.summary("bai-1"))["count"] == 1
        with SyncRedis.from_url(settings.redis_url) as redis:
            assert redis.client_kill_filter(_type="normal", skipme=True) >= 1
            await asyncio.sleep(0.2)  # the server's event loop sees the connections closed
            await live.vote("bai-1", reader(2), 2)
            assert (await live.summary("bai-1"))["count"] == 2
            assert redis.xlen("feedback:{0}:events") == 2  # both votes went through Redis
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT count(*) FROM stale_articles").fetchone()[0] == 0  # no outage write


async def test_articles_with_unflushed_votes_stay_in_redis(settings: Settings) -> None:
    settings = replace(settings, idle_article_seconds=0.05)
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await asyncio.sleep(0.1)
        redis = connect(settings.redis_url)
        store = HotStore(redis)
        assert await store.articles.drop_idle(0, 50, limit=10) == 0  # not flushed yet
        await redis.aclose()
        assert (await live.summary("bai-1"))["count"] == 1


async def test_a_snapshot_older_than_the_last_flush_is_not_loaded(settings: Settings) -> None:
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 4)
        await flush(settings)
    redis = connect(settings.redis_url)
    store = HotStore(redis)
    epoch = await store.streams.epoch(0)
    stale = ArticleState({}, epoch, "1-0")
    assert await store.articles.load(SITE, "never-loaded", stale, "0") is Load.STALE_SNAPSHOT
    assert (
        await store.articles.load(SITE, "never-loaded", ArticleState({}, "other-epoch", "99999999999999-0"), "0")
        is Load.STALE_SNAPSHOT
    )
    async with await Archive.open(settings.database_path) as archive:
        fresh = await archive.snapshots.article_state(SITE, "never-loaded", 0)
    assert await store.articles.load(SITE, "never-loaded", fresh, "0") is Load.LOADED
    await redis.aclose()


async def test_without_redis_votes_and_summaries_use_sqlite(settings: Settings) -> None:
    settings = with_redis(settings, "")
    await add_site(settings)
    async with serve(settings) as live:
        await live.vote("bai-1", reader(1), 2)
        body = (await live.vote("bai-1", reader(2), 5)).json()
        assert body["histogram"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
        await live.withdraw("bai-1", reader(1))
        assert (await live.summary("bai-1", reader=reader(2)))["mine"] == 5
    assert stored_votes(settings, "bai-1") == {reader(2): 5}


async def test_full_redis_sends_votes_to_sqlite_until_it_has_room(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    client = SyncRedis.from_url(redis.url)
    try:
        async with serve(settings) as live:
            await live.vote("bai-1", reader(1), 4)
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", "1")  # anything more is over the limit
            response = await live.vote("bai-1", reader(2), 2)
            assert response.status_code == 200
            assert stored_votes(settings, "bai-1") == {reader(2): 2}
            client.config_set("maxmemory", "0")
            await asyncio.sleep(1.1)  # the API retries Redis a second after it failed
            await flush(settings)  # drops Redis's stale copy of the article written directly
            body = (await live.vote("bai-1", reader(3), 5)).json()
            assert body["histogram"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
            assert client.xlen("feedback:{0}:events") == 1
    finally:
        client.close()


async def test_a_load_racing_a_moderation_reads_sqlite_again(settings: Settings) -> None:
    """A load that read SQLite before an editor's decision, and runs after the flusher handled
    it, must not install the old approved count for good."""
    await add_site(settings)
    async with serve(settings) as live:
        posted = await live.client.post(
            live.article_url("bai-1") + "/comments", json={"reader": reader(1), "body": "Hay"}
        )
        await live.vote("bai-1", reader(5), 4)
        await flush(settings)
        redis = connect(settings.redis_url)
        store = HotStore(redis)
        async with await Archive.open(settings.database_path) as archive:
            assert await store.articles.drop_idle(0, 0, 100) == 1  # evicted: cold now
            # A request starts loading the cold article and reads SQLite ...
            stale_drops = await store.articles.stale_drops(0)
            snapshot = await archive.snapshots.article_state(SITE, "bai-1", 0)
            # ... an editor approves the comment and the flusher drops the (absent) stale copy ...
            await archive.comments.moderate([posted.json()["id"]], "approved")
            await flush(settings)
            # ... then the request's load runs: refused, so it reads SQLite again.
            assert await store.articles.load(SITE, "bai-1", snapshot, stale_drops) is Load.STALE_SNAPSHOT
        await redis.aclose()
        assert (await live.summary("bai-1"))["comments"] == 1


async def test_the_redis_clock_is_measured_while_the_server_runs(settings: Settings) -> None:
    """The offset a lagging host adds to its clock is measured at once and kept measured."""
    client = connect(settings.redis_url)
    lagging = RedisClock(client, host_clock=lambda: time.time_ns() - 30 * 10**9)
    stop = asyncio.Event()
    measuring = asyncio.create_task(lagging.keep_measured(stop))
    await asyncio.sleep(0.1)
    stop.set()
    await measuring
    await client.aclose()
    assert abs(lagging.now_ns() - time.time_ns()) < 10**9  # the 30 s lag is corrected


async def test_a_vote_written_during_an_outage_wins_over_an_older_one_though_this_host_lags(
    settings: Settings, own_redis: OwnRedis
) -> None:
    """Votes sent to SQLite during an outage are versioned by Redis's clock as measured from this
    host: with this host 30 s behind, an older vote still unflushed in Redis must not win."""
    redis = own_redis(appendonly=True)
    settings = with_redis(settings, redis.url)
    await add_site(settings)
    client = connect(settings.redis_url)
    try:
        async with await Archive.open(settings.database_path) as archive:
            lagging = RedisClock(client, host_clock=lambda: time.time_ns() - 30 * 10**9)
            assert await lagging.measure()
            ratings = ratings_through(HotStore(client), archive, clock=lagging)
            await ratings.change_vote(VoteChange(SITE, "bai-1", reader(1), 3))  # in Redis, unflushed
            redis.stop()
            await ratings.change_vote(VoteChange(SITE, "bai-1", reader(1), 5))  # later: into SQLite
            redis.start()
            await flush(settings)  # applies Redis's older vote, which must lose
            assert stored_votes(settings, "bai-1") == {reader(1): 5}
    finally:
        await client.aclose()
