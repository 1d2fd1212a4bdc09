"""The server's log on stderr: JSON lines with each request's id (echoed in `X-Request-Id`), no
client address, reader token or comment body, and outages logged once per state change."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx

from feedback.settings import Settings
from tests.conftest import OwnRedis
from tests.support import SITE, ServerProcess, serve, wait_until, with_redis

READER_TOKEN = "reader-5ecre7t0ken000042"
COMMENT_BODY = "Bình luận riêng tư số 4711"
CLIENT_ADDRESS = "203.0.113.79"
GENERATED_ID = re.compile(r"[0-9a-f]{16}")


def log_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the log, each of which must be one JSON object."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(isinstance(line, dict) and {"time", "level", "event"} <= line.keys() for line in lines)
    return lines


def test_each_request_has_one_json_line_with_its_id_and_nothing_private(
    site_settings: Settings, tmp_path: Path
) -> None:
    stderr = tmp_path / "stderr.log"
    # Behind a trusted proxy on loopback: the proxy's request ids are believed, and the client is CLIENT_ADDRESS.
    env = {"FEEDBACK_LOG_FORMAT": "json", "FEEDBACK_TRUSTED_PROXIES": "127.0.0.1", "FEEDBACK_METRICS": "on"}
    server = ServerProcess(site_settings, flush_seconds=3600, env=env, stderr=stderr)
    forwarded = {"X-Forwarded-For": CLIENT_ADDRESS}
    article = f"{server.url}/api/v1/sites/{SITE}/articles/bai-1"
    try:
        with httpx.Client() as client:
            vote = client.put(
                f"{article}/rating",
                json={"score": 5, "reader": READER_TOKEN},
                headers={**forwarded, "X-Request-Id": "proxy-id-1234"},
            )
            comment = client.post(
                f"{article}/comments", json={"reader": READER_TOKEN, "body": COMMENT_BODY}, headers=forwarded
            )
            summary = client.get(article, params={"reader": READER_TOKEN}, headers=forwarded)
    finally:
        server.terminate()
    assert (vote.status_code, comment.status_code, summary.status_code) == (200, 202, 200)
    assert vote.headers["x-request-id"] == "proxy-id-1234"
    assert GENERATED_ID.fullmatch(comment.headers["x-request-id"])
    assert GENERATED_ID.fullmatch(summary.headers["x-request-id"])
    requests = [line for line in log_lines(stderr) if line["logger"] == "feedback.access"]
    assert [(line["request_id"], line["method"], line["route"], line["status"]) for line in requests] == [
        ("proxy-id-1234", "PUT", "/api/v1/sites/{site}/articles/{article:any}/rating", 200),
        (comment.headers["x-request-id"], "POST", "/api/v1/sites/{site}/articles/{article:any}/comments", 202),
        (summary.headers["x-request-id"], "GET", "/api/v1/sites/{site}/articles/{article:article}", 200),
    ]
    assert all(line["level"] == "info" and line["duration_ms"] > 0 for line in requests)
    text = stderr.read_text()
    for private in (READER_TOKEN, json.dumps(COMMENT_BODY)[1:-1], COMMENT_BODY, CLIENT_ADDRESS, "bai-1"):
        assert private not in text, private


async def test_a_request_id_from_a_peer_not_trusted_is_replaced(site_settings: Settings) -> None:
    async with serve(site_settings) as live:
        response = await live.client.get("/healthz", headers={"X-Request-Id": "made-up-by-a-client"})
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_a_malformed_request_id_from_a_trusted_proxy_is_replaced(site_settings: Settings) -> None:
    async with serve(replace(site_settings, trusted_proxies=(ip_network("127.0.0.1/32"),))) as live:
        response = await live.client.get("/healthz", headers={"X-Request-Id": "two words"})
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


def test_a_redis_outage_is_logged_once_when_it_begins_and_once_when_it_ends(
    site_settings: Settings, tmp_path: Path, own_redis: OwnRedis
) -> None:
    redis = own_redis()
    stderr = tmp_path / "stderr.log"
    server = ServerProcess(with_redis(site_settings, redis.url), flush_seconds=0.1, stderr=stderr)
    url = f"{server.url}/api/v1/sites/{SITE}/articles/bai-1/rating"
    try:
        assert httpx.put(url, json={"score": 4, "reader": "reader-0000000000000001"}).status_code == 200
        redis.stop()
        deadline = time.monotonic() + 2.5  # the gate tries Redis again every second, the flusher every 0.1 s
        number = 0
        while time.monotonic() < deadline:
            number += 1
            response = httpx.put(url, json={"score": 3, "reader": f"reader-{number:016d}"})
            assert response.status_code == 200  # written straight to SQLite
            time.sleep(0.05)
        redis.start()
        time.sleep(1.1)  # the gate's pause after the last failure

        def answered() -> bool:
            # A pooled connection Redis closed fails its first call after the restart: the gate
            # then tries again a second later.
            assert httpx.put(url, json={"score": 2, "reader": "reader-0000000000000001"}).status_code == 200
            return "Redis answers again" in stderr.read_text()

        wait_until(answered, "the server back through Redis", timeout=10)
        wait_until(lambda: "the flusher reaches Redis again" in stderr.read_text(), "the flusher back", timeout=10)
    finally:
        server.terminate()
    events = [line["event"] for line in log_lines(stderr) if line["level"] != "info" or "Redis" in line["event"]]
    assert number >= 8  # many requests met the outage, and one line tells of it
    assert sum(event.startswith("Redis is unreachable") for event in events) == 1, events
    assert sum(event.startswith("Redis answers again") for event in events) == 1, events
    assert sum(event.startswith("the flusher waits for Redis") for event in events) == 1, events
    assert sum(event == "the flusher reaches Redis again" for event in events) == 1, events
