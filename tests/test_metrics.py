"""`GET /metrics`: off by default, for the allowed networks only, and counts that add up, also
across the worker processes of `serve --workers 2`."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedback.settings import Rate, Settings
from tests.conftest import OwnRedis
from tests.support import (
    LISTEN,
    SITE,
    ServerProcess,
    flush,
    serve,
    sockets_of_port,
    wait_until,
    with_redis,
    workers_of,
)

RATING_ROUTE = "/api/v1/sites/{site}/articles/{article:any}/rating"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped[name, frozenset(labels.items())]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


def with_metrics(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, metrics=True, **changes)


async def test_metrics_are_not_served_while_off(site_settings: Settings) -> None:
    async with serve(site_settings) as live:
        response = await live.client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_metrics_are_served_to_loopback_by_default(site_settings: Settings) -> None:
    async with serve(with_metrics(site_settings)) as live:
        scraped = await scrape(live.client)
    assert value(scraped, "feedback_votes_total") == 0
    assert value(scraped, "feedback_workers") == 1


async def test_metrics_are_refused_to_networks_not_allowed(site_settings: Settings) -> None:
    settings = with_metrics(site_settings, metrics_allow=(ip_network("10.0.0.0/8"),))
    async with serve(settings) as live:
        response = await live.client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "FEEDBACK_METRICS_ALLOW" in response.json()["error"]["message"]


async def test_a_client_behind_a_trusted_proxy_is_judged_by_its_own_address(site_settings: Settings) -> None:
    settings = with_metrics(site_settings, trusted_proxies=(ip_network("127.0.0.1/32"),))
    async with serve(settings) as live:
        outside = await live.client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
        inside = await live.client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.5"})
    assert outside.status_code == 403
    assert inside.status_code == 200


async def test_votes_comments_and_requests_are_counted_by_route_template(site_settings: Settings) -> None:
    async with serve(with_metrics(site_settings)) as live:
        for number in range(7):
            assert (await live.vote("bai/so-1", f"reader-{number:016d}", 4)).status_code == 200
        assert (await live.withdraw("bai/so-1", "reader-0000000000000000")).status_code == 200
        comment = {"reader": "reader-0000000000000001", "body": "Bài viết hay"}
        assert (
            await live.client.post(f"{live.article_url('bai-2')}/comments", json=comment)
        ).status_code == 202  # pending moderation
        assert (await live.client.get("/no/such/path")).status_code == 404
        assert (await live.client.get("/dashboard/login")).status_code == 200
        assert (await live.client.get("/dashboard/static/no-such-file.js")).status_code == 404
        response = await live.client.get("/metrics")
        scraped = samples(response.text)
    assert value(scraped, "feedback_votes_total") == 8
    assert value(scraped, "feedback_comments_total") == 1
    assert value(scraped, "feedback_requests_total", route=RATING_ROUTE, method="PUT", status="200") == 7
    assert value(scraped, "feedback_requests_total", route=RATING_ROUTE, method="DELETE", status="200") == 1
    assert value(scraped, "feedback_requests_total", route="unmatched", method="GET", status="404") == 1
    # Routes inside a mount are named with the mount's path.
    assert value(scraped, "feedback_requests_total", route="/dashboard/login", method="GET", status="200") == 1
    assert value(scraped, "feedback_requests_total", route="/dashboard/static/{path}", method="GET", status="404") == 1
    assert "bai/so-1" not in response.text and "no/such/path" not in response.text


async def test_rate_limit_and_reader_cap_hits_are_counted(site_settings: Settings) -> None:
    # One address: the first reader counts, the next two are past the cap, the fourth vote is over the rate.
    settings = with_metrics(site_settings, vote_rate=Rate(3, 60_000), readers_per_address=1)
    async with serve(settings) as live:
        statuses = [(await live.vote("bai-1", f"reader-{number:016d}", 5)).status_code for number in range(4)]
        scraped = await scrape(live.client)
    assert statuses == [200, 200, 200, 429]
    assert value(scraped, "feedback_votes_total") == 3
    assert value(scraped, "feedback_reader_cap_hits_total") == 2
    assert value(scraped, "feedback_rate_limited_total", kind="vote") == 1


async def test_votes_written_to_sqlite_while_redis_is_down_are_counted(
    site_settings: Settings, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    async with serve(with_metrics(with_redis(site_settings, redis.url))) as live:
        redis.stop()
        for number in range(3):
            assert (await live.vote("bai-1", f"reader-{number:016d}", 3)).status_code == 200
        scraped = await scrape(live.client)
    assert value(scraped, "feedback_direct_writes_total", kind="vote") == 3
    assert value(scraped, "feedback_votes_total") == 3
    assert (
        "feedback_pending_events",
        frozenset(),
    ) not in scraped  # Redis cannot say: no number rather than a wrong one


async def test_cold_loads_are_counted_once_per_load(site_settings: Settings) -> None:
    async with serve(with_metrics(site_settings)) as live:
        await live.vote("bai-1", "reader-0000000000000001", 3)
        await live.vote("bai-1", "reader-0000000000000002", 4)
        await live.vote("bai-2", "reader-0000000000000001", 5)
        scraped = await scrape(live.client)
    assert value(scraped, "feedback_cold_loads_total") == 2


async def test_pending_events_and_flush_lag_until_flushed(site_settings: Settings) -> None:
    async with serve(with_metrics(site_settings)) as live:
        for number in range(4):
            await live.vote("bai-1", f"reader-{number:016d}", 2)
        await asyncio.sleep(0.05)
        before = await scrape(live.client)
        await flush(site_settings)
        after = await scrape(live.client)
    assert value(before, "feedback_pending_events") == 4
    assert value(before, "feedback_flush_lag_seconds") >= 0.05
    assert value(after, "feedback_pending_events") == 0
    assert value(after, "feedback_flush_lag_seconds") == 0


async def test_periodic_flushes_are_timed_and_their_events_counted(site_settings: Settings) -> None:
    async with serve(with_metrics(site_settings, flush_seconds=0.1, flusher_in_server=True)) as live:
        for number in range(5):
            await live.vote("bai-1", f"reader-{number:016d}", 2)
        for _ in range(100):
            scraped = await scrape(live.client)
            if value(scraped, "feedback_flush_events_sum") == 5:
                break
            await asyncio.sleep(0.05)
    assert value(scraped, "feedback_flush_events_sum") == 5
    assert value(scraped, "feedback_flush_duration_seconds_count") == value(scraped, "feedback_flush_events_count")
    assert value(scraped, "feedback_flush_duration_seconds_sum") > 0


@pytest.fixture
def two_workers_with_metrics(site_settings: Settings) -> Iterator[ServerProcess]:
    server = ServerProcess(site_settings, flush_seconds=3600, workers=2, env={"FEEDBACK_METRICS": "on"})
    wait_until(lambda: len(sockets_of_port(server.port, LISTEN)) == 2, "both workers listen")
    yield server
    if server.process.poll() is None:
        server.terminate()


def scrape_once(server: ServerProcess) -> Samples:
    """A scrape on a new connection, which either worker may take."""
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200, response.text
    return samples(response.text)


def metrics_directory(worker: int) -> Path:
    environment = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    (directory,) = [entry.split(b"=", 1)[1] for entry in environment if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    return Path(os.fsdecode(directory))


def test_every_worker_reports_the_totals_of_both(two_workers_with_metrics: ServerProcess) -> None:
    server = two_workers_with_metrics
    for number in range(24):  # new connections, spread over both workers
        response = httpx.put(
            f"{server.url}/api/v1/sites/{SITE}/articles/bai-1/rating",
            json={"score": 4, "reader": f"reader-{number:016d}"},
        )
        assert response.status_code == 200
    workers = workers_of(server)
    directory = metrics_directory(workers[0])
    # Both took votes: each has a file of counters of its own (the kernel spread the connections).
    assert {f"counter_{worker}.db" for worker in workers} <= {path.name for path in directory.iterdir()}
    # Each worker adds what it counted to the shared files once a second.
    wait_until(lambda: value(scrape_once(server), "feedback_votes_total") == 24, "the votes of both", timeout=5)
    for _ in range(6):
        scraped = scrape_once(server)
        assert value(scraped, "feedback_votes_total") == 24
        assert value(scraped, "feedback_requests_total", route=RATING_ROUTE, method="PUT", status="200") == 24
        assert value(scraped, "feedback_workers") == 2
    server.terminate()
    assert not directory.exists()  # made for the run, removed with it


def test_a_killed_servers_metrics_directory_is_removed_by_the_next(
    two_workers_with_metrics: ServerProcess, site_settings: Settings
) -> None:
    server = two_workers_with_metrics
    directory = metrics_directory(workers_of(server)[0])
    server.process.kill()  # no clean-up: the directory stays behind
    server.process.wait()
    assert directory.exists()
    following = ServerProcess(site_settings, flush_seconds=3600, workers=2, env={"FEEDBACK_METRICS": "on"})
    try:
        wait_until(lambda: len(workers_of(following)) == 2, "the next server's workers")
        assert metrics_directory(workers_of(following)[0]).exists()
        assert not directory.exists()  # its server's pid is gone
    finally:
        following.terminate()


def test_a_dead_workers_votes_stay_counted_and_its_gauge_goes(two_workers_with_metrics: ServerProcess) -> None:
    server = two_workers_with_metrics
    for number in range(10):
        response = httpx.put(
            f"{server.url}/api/v1/sites/{SITE}/articles/bai-1/rating",
            json={"score": 4, "reader": f"reader-{number:016d}"},
        )
        assert response.status_code == 200
    wait_until(lambda: value(scrape_once(server), "feedback_votes_total") == 10, "the votes published", timeout=5)
    first, survivor = workers_of(server)
    directory = metrics_directory(first)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: len(workers_of(server)) == 2 and first not in workers_of(server), "a new worker")
    (new,) = set(workers_of(server)) - {survivor}
    # Its metrics exist once its app has started (it listens before).
    wait_until(lambda: (directory / f"gauge_livesum_{new}.db").exists(), "the new worker's metrics")
    scraped = scrape_once(server)
    assert value(scraped, "feedback_votes_total") == 10
    assert value(scraped, "feedback_workers") == 2


def test_one_worker_and_its_flusher_process_count_into_one_scrape(site_settings: Settings) -> None:
    """The default deployment (one worker, the flusher a process of its own): the worker's counts
    and the flusher's flushes are in the same answer, and the run's directory goes with it."""
    server = ServerProcess(site_settings, flush_seconds=0.1, env={"FEEDBACK_METRICS": "on"})
    try:
        for number in range(5):
            response = httpx.put(
                f"{server.url}/api/v1/sites/{SITE}/articles/bai-1/rating",
                json={"score": 4, "reader": f"reader-{number:016d}"},
            )
            assert response.status_code == 200
        (worker,) = workers_of(server)
        directory = metrics_directory(worker)

        def counted() -> bool:
            scraped = scrape_once(server)
            return value(scraped, "feedback_votes_total") == 5 and value(scraped, "feedback_flush_events_sum") >= 5

        wait_until(counted, "the worker's votes and the flusher's flushes", timeout=10)
        assert value(scrape_once(server), "feedback_workers") == 1
    finally:
        server.terminate()
    assert server.process.returncode == 0
    assert not directory.exists()
