"""Abuse limits: rate limits per reader and per address, the cap of readers per address, and
client addresses that are used but never kept."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
import uvicorn
from redis import Redis as SyncRedis

from feedback.app import create_app
from feedback.settings import Rate, Settings
from tests.conftest import OwnRedis
from tests.support import SITE, LiveServer, RedisServer, add_site, flush, serve, with_redis

LOCAL_PROXY = (ip_network("127.0.0.1"),)
"""The reverse proxy the test client stands for: its X-Forwarded-For is believed."""
STUFFER = "198.51.100.7"
"""The one address a stuffing script votes from, through the trusted proxy."""


def reader(number: int) -> str:
    return f"reader-{number:016d}"


@pytest.fixture
async def capped(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server behind a local proxy that counts 3 readers per address per article a day."""
    settings = replace(settings, trusted_proxies=LOCAL_PROXY, readers_per_address=3)
    await add_site(settings)
    async with serve(settings) as server:
        yield server


async def vote(live: LiveServer, article: str, voter: str, score: int, address: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return await live.client.put(
        f"{live.article_url(article)}/rating", json={"score": score, "reader": voter}, headers=headers
    )


async def comment(live: LiveServer, article: str, writer: str, address: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return await live.client.post(
        f"{live.article_url(article)}/comments", json={"reader": writer, "body": "Bài viết hay."}, headers=headers
    )


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"]


def public(summary: dict[str, object]) -> dict[str, object]:
    """A summary as everyone sees it, without the asking reader's own score."""
    return {key: value for key, value in summary.items() if key != "mine"}


def stored_votes(settings: Settings, article: str) -> dict[str, tuple[int | None, int]]:
    """reader -> (score, suspect) of every vote row of the article."""
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute("SELECT reader, score, suspect FROM votes WHERE site = ? AND article = ?", (SITE, article))
        return {voter: (score, suspect) for voter, score, suspect in rows}


def stored_comments(settings: Settings) -> int:
    with sqlite3.connect(settings.database_path) as db:
        count: int = db.execute("SELECT count(*) FROM comments").fetchone()[0]
        return count


# Rate limits


async def test_too_many_votes_get_429_with_retry_after_then_pass_again(settings: Settings) -> None:
    settings = replace(settings, vote_rate=Rate(3, 1000))
    await add_site(settings)
    async with serve(settings) as live:
        for score in (1, 2, 3):
            assert (await live.vote("bai-1", reader(1), score)).status_code == 200
        assert_rate_limited(await live.vote("bai-1", reader(1), 5))
        assert (await live.summary("bai-1", reader=reader(1)))["mine"] == 3
        await asyncio.sleep(1.1)
        response = await live.vote("bai-1", reader(1), 5)
        assert response.status_code == 200
        assert response.json()["mine"] == 5


async def test_too_many_comments_get_429_with_retry_after_then_pass_again(settings: Settings) -> None:
    settings = replace(settings, comment_rate=Rate(2, 1000))
    await add_site(settings)
    async with serve(settings) as live:
        assert (await comment(live, "bai-1", reader(1))).status_code == 202
        assert (await comment(live, "bai-2", reader(1))).status_code == 202
        assert_rate_limited(await comment(live, "bai-3", reader(1)))
        mine = await live.client.get(f"{live.article_url('bai-3')}/comments", params={"reader": reader(1)})
        assert mine.json()["comments"] == []
        assert (await live.vote("bai-3", reader(1), 4)).status_code == 200  # votes have a budget of their own
        await asyncio.sleep(1.1)
        assert (await comment(live, "bai-3", reader(1))).status_code == 202
        await flush(settings)
        assert stored_comments(settings) == 3


async def test_concurrent_requests_get_no_more_than_the_limit(settings: Settings) -> None:
    settings = replace(settings, vote_rate=Rate(3, 1000), comment_rate=Rate(3, 1000))
    await add_site(settings)
    async with serve(settings) as live:
        votes = await asyncio.gather(*(live.vote("bai-1", reader(1), 1 + n % 5) for n in range(10)))
        comments = await asyncio.gather(*(comment(live, "bai-1", reader(1)) for _ in range(10)))
        assert sorted(response.status_code for response in votes) == [200] * 3 + [429] * 7
        assert sorted(response.status_code for response in comments) == [202] * 3 + [429] * 7
        await flush(settings)
        assert stored_comments(settings) == 3


async def test_limits_are_per_site(settings: Settings) -> None:
    settings = replace(settings, vote_rate=Rate(1, 60_000), comment_rate=Rate(1, 60_000))
    await add_site(settings)
    await add_site(settings, "other-site")
    async with serve(settings) as live:
        assert (await live.vote("bai-1", reader(1), 4)).status_code == 200
        assert (await comment(live, "bai-1", reader(1))).status_code == 202
        assert_rate_limited(await live.vote("bai-2", reader(1), 4))
        assert_rate_limited(await comment(live, "bai-2", reader(1)))
        assert (await live.vote("bai-1", reader(1), 4, site="other-site")).status_code == 200
        response = await live.client.post(
            f"{live.article_url('bai-1', 'other-site')}/comments", json={"reader": reader(1), "body": "Hay."}
        )
        assert response.status_code == 202


async def test_readers_sharing_an_address_share_its_limit(settings: Settings) -> None:
    settings = replace(settings, vote_rate=Rate(3, 1000), comment_rate=Rate(3, 1000))
    await add_site(settings)
    async with serve(settings) as live:
        for number in range(3):
            assert (await live.vote("bai-1", reader(number), 4)).status_code == 200
            assert (await comment(live, "bai-1", reader(number))).status_code == 202
        assert_rate_limited(await live.vote("bai-1", reader(3), 4))
        assert_rate_limited(await comment(live, "bai-1", reader(3)))
        assert (await live.summary("bai-1"))["count"] == 3


async def test_another_address_behind_a_trusted_proxy_has_its_own_limit(settings: Settings) -> None:
    settings = replace(settings, trusted_proxies=LOCAL_PROXY, vote_rate=Rate(3, 1000), comment_rate=Rate(3, 1000))
    await add_site(settings)
    async with serve(settings) as live:
        for number in range(3):
            assert (await vote(live, "bai-1", reader(number), 4, "203.0.113.10")).status_code == 200
            assert (await comment(live, "bai-1", reader(number), "203.0.113.10")).status_code == 202
        assert_rate_limited(await vote(live, "bai-1", reader(3), 4, "203.0.113.10"))
        assert_rate_limited(await comment(live, "bai-1", reader(3), "203.0.113.10"))
        assert (await vote(live, "bai-1", reader(4), 4, "203.0.113.20")).status_code == 200
        assert (await comment(live, "bai-1", reader(4), "203.0.113.20")).status_code == 202
        assert (await live.summary("bai-1"))["count"] == 4


async def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(settings: Settings) -> None:
    settings = replace(settings, vote_rate=Rate(3, 1000), comment_rate=Rate(3, 1000), trusted_proxies=())
    await add_site(settings)
    async with serve(settings) as live:
        for number in range(3):
            assert (await vote(live, "bai-1", reader(number), 4, f"198.51.100.{number}")).status_code == 200
            assert (await comment(live, "bai-1", reader(number), f"198.51.100.{number}")).status_code == 202
        assert_rate_limited(await vote(live, "bai-1", reader(3), 4, "198.51.100.3"))
        assert_rate_limited(await comment(live, "bai-1", reader(3), "198.51.100.3"))


async def test_limits_let_everything_through_while_redis_is_down(settings: Settings, own_redis: OwnRedis) -> None:
    redis = own_redis()
    settings = with_redis(settings, redis.url)
    settings = replace(settings, vote_rate=Rate(1, 60_000), comment_rate=Rate(1, 60_000), readers_per_address=1)
    await add_site(settings)
    async with serve(settings) as live:
        assert (await live.vote("bai-1", reader(1), 2)).status_code == 200
        assert_rate_limited(await live.vote("bai-1", reader(1), 3))
        assert (await comment(live, "bai-1", reader(1))).status_code == 202
        assert_rate_limited(await comment(live, "bai-1", reader(1)))
        await flush(settings)
        redis.stop()
        for score in (3, 4, 5):
            assert (await live.vote("bai-1", reader(1), score)).status_code == 200
        response = await live.vote("bai-1", reader(2), 1)  # a second reader past the cap of one
        assert response.status_code == 200
        assert response.json()["count"] == 2
        for _ in range(2):
            assert (await comment(live, "bai-1", reader(1))).status_code == 202
        assert stored_votes(settings, "bai-1") == {reader(1): (5, 0), reader(2): (1, 0)}
        assert stored_comments(settings) == 3


# The cap of readers per address


async def test_readers_past_the_cap_from_one_address_are_kept_but_not_counted(capped: LiveServer) -> None:
    for number in range(3):
        assert (await vote(capped, "bai-1", reader(100 + number), 5, f"203.0.113.{number}")).status_code == 200
    stuffers = [reader(number) for number in range(10)]
    replies = []
    for stuffer in stuffers:
        response = await vote(capped, "bai-1", stuffer, 1, STUFFER)
        assert response.status_code == 200
        assert response.json()["mine"] == 1
        replies.append(public(response.json()))
    at_cap = replies[2]
    assert (at_cap["count"], at_cap["average"]) == (6, 3.0)
    assert at_cap["histogram"] == {"1": 3, "2": 0, "3": 0, "4": 0, "5": 3}
    assert replies[3:] == [at_cap] * 7
    assert public(await capped.summary("bai-1")) == at_cap
    assert (await capped.summary("bai-1", reader=stuffers[9]))["mine"] == 1

    await flush(capped.settings)
    stored = stored_votes(capped.settings, "bai-1")
    assert {voter: stored[voter] for voter in stuffers} == {
        **{voter: (1, 0) for voter in stuffers[:3]},
        **{voter: (1, 1) for voter in stuffers[3:]},
    }
    assert all(stored[reader(100 + number)] == (5, 0) for number in range(3))
    assert public(await capped.summary("bai-1")) == at_cap


async def test_the_cap_holds_for_concurrent_first_votes(capped: LiveServer) -> None:
    replies = await asyncio.gather(*(vote(capped, "bai-1", reader(n), 3, STUFFER) for n in range(10)))
    assert [response.status_code for response in replies] == [200] * 10
    assert (await capped.summary("bai-1"))["count"] == 3
    await flush(capped.settings)
    suspects = [suspect for _, suspect in stored_votes(capped.settings, "bai-1").values()]
    assert sorted(suspects) == [0] * 3 + [1] * 7


async def test_suspect_votes_stay_out_after_redis_forgets_the_article(
    capped: LiveServer, redis_server: RedisServer
) -> None:
    for number in range(5):
        await vote(capped, "bai-1", reader(number), 1 + number, STUFFER)
    counted = public(await capped.summary("bai-1"))
    assert counted["count"] == 3
    await flush(capped.settings)
    redis_server.flushall()  # the article is cold: read back from SQLite
    assert public(await capped.summary("bai-1")) == counted
    assert (await capped.summary("bai-1", reader=reader(4)))["mine"] == 5


async def test_readers_from_another_address_are_still_counted(capped: LiveServer) -> None:
    for number in range(5):
        await vote(capped, "bai-1", reader(number), 1, STUFFER)
    assert (await capped.summary("bai-1"))["count"] == 3
    response = await vote(capped, "bai-1", reader(50), 5, "203.0.113.50")
    assert (response.json()["count"], response.json()["histogram"]["5"]) == (4, 1)


async def test_the_cap_counts_readers_per_article(capped: LiveServer) -> None:
    for number in range(4):
        await vote(capped, "bai-1", reader(number), 2, STUFFER)
    response = await vote(capped, "bai-2", reader(3), 2, STUFFER)
    assert response.json()["count"] == 1


async def test_suspect_reader_changing_their_vote_stays_suspect(capped: LiveServer) -> None:
    for number in range(4):
        await vote(capped, "bai-1", reader(number), 5, STUFFER)
    counted = public(await capped.summary("bai-1"))
    assert counted["count"] == 3
    response = await vote(capped, "bai-1", reader(3), 1, STUFFER)
    assert (public(response.json()), response.json()["mine"]) == (counted, 1)
    response = await vote(capped, "bai-1", reader(3), 2, "203.0.113.99")  # from another address too
    assert (public(response.json()), response.json()["mine"]) == (counted, 2)
    await flush(capped.settings)
    assert stored_votes(capped.settings, "bai-1")[reader(3)] == (2, 1)
    with sqlite3.connect(capped.settings.database_path) as db:
        events = db.execute("SELECT new_score, suspect FROM vote_events WHERE reader = ?", (reader(3),)).fetchall()
    assert events == [(5, 1), (1, 1), (2, 1)]


async def test_suspect_reader_withdrawing_leaves_the_summary_unchanged(capped: LiveServer) -> None:
    for number in range(4):
        await vote(capped, "bai-1", reader(number), 4, STUFFER)
    counted = public(await capped.summary("bai-1"))
    response = await capped.withdraw("bai-1", reader(3))
    assert (public(response.json()), response.json()["mine"]) == (counted, None)


async def test_one_reader_voting_again_after_withdrawing_stays_one_reader(capped: LiveServer) -> None:
    """The cap counts distinct readers: withdrawing and voting again is still the same reader."""
    for _ in range(3):
        await vote(capped, "bai-1", reader(1), 5, STUFFER)
        await capped.withdraw("bai-1", reader(1))
    response = await vote(capped, "bai-1", reader(1), 5, STUFFER)
    assert response.json()["count"] == 1
    response = await vote(capped, "bai-1", reader(2), 4, STUFFER)
    assert response.json()["count"] == 2


async def test_suspect_reader_changing_their_vote_while_redis_is_down_stays_suspect(
    settings: Settings, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    settings = replace(with_redis(settings, redis.url), trusted_proxies=LOCAL_PROXY, readers_per_address=1)
    await add_site(settings)
    async with serve(settings) as live:
        await vote(live, "bai-1", reader(1), 5, STUFFER)
        response = await vote(live, "bai-1", reader(2), 1, STUFFER)
        assert response.json()["count"] == 1
        await flush(settings)
        redis.stop()
        response = await vote(live, "bai-1", reader(2), 2, STUFFER)
        assert response.status_code == 200
        assert response.json()["mine"] == 2
        assert (response.json()["count"], response.json()["histogram"]["5"]) == (1, 1)
        assert stored_votes(settings, "bai-1")[reader(2)] == (2, 1)


# Addresses are used, never kept


def redis_contents(redis: SyncRedis) -> bytes:
    """Every key and every value Redis holds, as one blob of bytes."""
    parts: list[bytes | str] = []
    for key in redis.scan_iter(count=1000):
        parts.append(key)
        kind = redis.type(key)
        if kind == b"string":
            parts.append(redis.get(key) or b"")
        elif kind == b"hash":
            for field, value in redis.hgetall(key).items():
                parts += [field, value]
        elif kind == b"zset":
            parts += [member for member in redis.zrange(key, 0, -1) if isinstance(member, bytes | str)]
        elif kind == b"stream":
            for entry_id, fields in redis.xrange(key) or []:
                parts.append(entry_id or b"")
                for field, value in (fields or {}).items():
                    parts += [field, value]
        else:
            raise AssertionError(f"unexpected Redis type {kind!r} of key {key!r}")
    return b"\n".join(part if isinstance(part, bytes) else part.encode() for part in parts)


async def test_no_client_address_is_kept_in_redis_or_sqlite(settings: Settings) -> None:
    addresses = ["203.0.113.77", "198.51.100.23", "2001:db8::7"]
    settings = replace(
        settings,
        trusted_proxies=LOCAL_PROXY,
        vote_rate=Rate(100, 60_000),
        comment_rate=Rate(100, 60_000),
        readers_per_address=2,
    )
    await add_site(settings)
    redis = SyncRedis.from_url(settings.redis_url)
    try:
        async with serve(settings) as live:
            for number in range(4):
                for index, address in enumerate([*addresses, None]):
                    voter = reader(10 * index + number)
                    assert (await vote(live, f"bai-{number % 2}", voter, 1 + number, address)).status_code == 200
                    assert (await comment(live, f"bai-{number % 2}", voter, address)).status_code == 202
            held = redis_contents(redis)
            assert b":rate:" in held
            assert b":cap:" in held  # the limits were at work, on something other than addresses
            for address in [*addresses, "127.0.0.1"]:
                assert address.encode() not in held, f"{address} is in Redis"
        # The server flushed everything on its way out.
        held = redis_contents(redis)
        files = sorted(Path(settings.database_path).parent.glob(Path(settings.database_path).name + "*"))
        assert stored_comments(settings) == 16
        for address in [*addresses, "127.0.0.1"]:
            assert address.encode() not in held, f"{address} is in Redis"
            for file in files:
                assert address.encode() not in file.read_bytes(), f"{address} is in {file.name}"
    finally:
        redis.close()


async def test_one_ipv6_line_is_one_address_whichever_of_its_addresses_it_uses(capped: LiveServer) -> None:
    for number in range(10):
        response = await vote(capped, "bai-1", reader(number), 1, address=f"2001:db8:1:2::{number + 1:x}")
        assert response.status_code == 200
    assert (await capped.summary("bai-1"))["count"] == 3
    await vote(capped, "bai-1", reader(20), 1, address="2001:db8:1:3::1")  # the next /64: another line
    assert (await capped.summary("bai-1"))["count"] == 4


@pytest.mark.parametrize(("trusted", "counted"), [(("unix",), 2), ((), 6)])
async def test_behind_a_proxy_on_a_unix_socket(
    settings: Settings, tmp_path: Path, trusted: tuple[str, ...], counted: int
) -> None:
    """Listed as trusted, the Unix socket's X-Forwarded-For names the client; not listed, the
    address is unknown and only the per-reader limits apply (and the server says so)."""
    settings = replace(settings, readers_per_address=2, trusted_proxies=trusted)  # type: ignore[arg-type]
    await add_site(settings)
    path = str(tmp_path / "feedback.sock")
    config = uvicorn.Config(create_app(settings), uds=path, log_level="warning", lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  # uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as client:
            for number in range(6):
                response = await client.put(
                    f"/api/v1/sites/{SITE}/articles/bai-1/rating",
                    json={"score": 1, "reader": reader(number)},
                    headers={"X-Forwarded-For": STUFFER},  # what nginx adds
                )
                assert response.status_code == 200
            summary = (await client.get(f"/api/v1/sites/{SITE}/articles/bai-1")).json()
        assert summary["count"] == counted
    finally:
        server.should_exit = True
        await task


async def test_limits_do_not_wait_on_a_hung_redis_request_after_request(settings: Settings) -> None:
    """A Redis that accepts connections and never answers costs one timeout, not one per request:
    the address hashing backs off together with the rest."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(100)
    hung.setblocking(False)
    settings = replace(
        with_redis(settings, f"redis://127.0.0.1:{hung.getsockname()[1]}/0"),
        vote_rate=Rate(60, 60_000),
        readers_per_address=30,
    )
    await add_site(settings)
    try:
        async with serve(settings) as live:
            assert (await vote(live, "bai-1", reader(0), 3)).status_code == 200  # finds out Redis hangs
            tried_before = accepted(hung)
            replies = await asyncio.gather(*(vote(live, "bai-1", reader(n), 4) for n in range(1, 6)))
            tried_during = accepted(hung)
        assert [reply.status_code for reply in replies] == [200] * 5
        assert tried_before >= 1
        assert tried_during <= 1, "requests kept trying the hung Redis instead of backing off"
    finally:
        hung.close()


def accepted(listener: socket.socket) -> int:
    """How many connections wait to be accepted (taken, and closed, now)."""
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1
