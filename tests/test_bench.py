"""The benchmark suite runs end to end (tiny durations: this proves it works, it times nothing)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.floor import measure
from bench.run import load_articles, prefill
from feedback.services.flusher import CHUNK_SIZE
from tests.support import RedisServer

ROOT = Path(__file__).resolve().parent.parent


def run_bench(output: Path, *arguments: str) -> dict[str, Any]:
    """One short round of `python -m bench.run`, which must succeed; its JSON report."""
    command = [sys.executable, "-m", "bench.run", "--rounds", "1", "--duration", "1", "--warmup", "1"]
    command += [*arguments, "--output", str(output)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (report_file,) = output.glob("*.json")
    report: dict[str, Any] = json.loads(report_file.read_text())
    return report


def test_benchmark_suite_runs_every_scenario_without_failed_requests(tmp_path: Path) -> None:
    report = run_bench(tmp_path, "--flush-events", "3000", "--flush-articles", "300")
    assert set(report["scenarios"]) == {
        "hello",
        "put",
        "get",
        "summaries20",
        "put_c4",
        "put_server_flushes",
        "put_metrics",
        "put_logged",
    }
    assert all(row["rps_median"] > 0 for row in report["scenarios"].values())
    assert report["costs"]["metrics"]["scenarios"] == "put_metrics against put"
    assert report["flush"]["failed_requests"] == 0
    assert report["flusher_alone"]["events_per_second"] > 0
    assert report["flusher_alone"]["sqlite_bytes_per_event"] > 0
    assert report["flusher_alone"]["floor"]["events"] == 3000
    assert report["flusher_alone"]["share_of_floor"] > 0
    assert report["memory"]["bytes_per_pending_vote"] > 0
    assert report["workers"]["ratio_median"] > 0
    for workers in ("one_worker", "two_workers"):
        assert all(report["workers"][workers][part] > 0 for part in ("server", "redis", "load_generator"))
    assert report["elapsed_seconds"] > 0
    assert report["failures"] == []
    (report_file,) = tmp_path.glob("*.json")
    assert (tmp_path / report_file.name.replace(".json", ".md")).exists()


def test_benchmark_runs_only_the_scenarios_and_phases_asked_for(tmp_path: Path) -> None:
    report = run_bench(tmp_path, "--scenarios", "put,put_metrics", "--phases", "")
    assert set(report["scenarios"]) == {"hello", "put", "put_metrics"}
    assert report["costs"]["metrics"]["cost_max"] < 1  # put_metrics served votes
    assert report["flush"] == {} and report["workers"] == {}


async def test_the_flushers_floor_replays_all_of_a_flushs_writes(redis_server: RedisServer, tmp_path: Path) -> None:
    """The floor's timed archive ends as the archive the flush's own code wrote: it did that
    work, all of it, over several chunks."""
    redis_server.flushall()
    events = 2 * CHUNK_SIZE + 500
    await load_articles(redis_server.url, "dirty-", 300)
    await prefill(redis_server.url, 300, events)

    floor = await measure(redis_server.url, tmp_path)

    assert floor["events"] == events
    assert floor["read_us_per_event"] > 0 and floor["sql_us_per_event"] > 0
    tables = ("vote_events", "votes", "daily_votes", "site_days", "article_votes", "article_keys")
    with (
        sqlite3.connect(tmp_path / "floor.sqlite3") as timed,
        sqlite3.connect(tmp_path / "floor-scratch.sqlite3") as flushed,
    ):
        for table in tables:
            query = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
            assert timed.execute(query).fetchall() == flushed.execute(query).fetchall(), table
        assert timed.execute("SELECT count(*) FROM vote_events").fetchone() == (events,)


def test_dashboard_benchmark_times_every_page_and_export_on_a_seeded_archive(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench.dashboard", "--events", "2000", "--articles", "100"]
    command += ["--rounds", "1", "--warmup", "0", "--output", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (report_file,) = tmp_path.glob("dashboard-*.json")
    report = json.loads(report_file.read_text())
    assert report["failures"] == []
    assert report["seed_seconds"] > 0
    pages = report["pages"]
    assert {"overview 30d", "articles sort=title", "article (most voted)", "moderation pending", "settings"} <= set(
        pages
    )
    assert {"users", "audit", "export ratings csv", "export events csv", "export comments csv"} <= set(pages)
    assert all(row["p50_ms"] > 0 and row["p95_ms"] >= row["p50_ms"] for row in pages.values())
    assert (tmp_path / report_file.name.replace(".json", ".md")).exists()
