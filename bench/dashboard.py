"""The dashboard on a big archive: each page's latency, and each export's first byte.

Run by `make bench-dashboard` (or `make bench-dashboard-quick`). Seeds an archive with
`python -m feedback seed` (1,000,000 vote events over 50,000 articles by default, timed), adds
an admin with `python -m feedback user add`, starts the real server (`python -m feedback serve`,
pinned to core 0, its flusher off: the archive stays as seeded) with a Redis of its own on core
1, logs in, and asks each page in turn, round after round, one request at a time. Reports each
page's p50 and p95 (whole response; for an export, until its first byte of body) into
bench/results/dashboard-*.json and .md. Nothing is asserted: the target (300 ms) is reported
beside each row.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.run import APP_COMMAND, LOAD_CORE, ROOT, SERVER_CORE, RedisProcess, Server, versions

SITE = "seed"
# A new admin each run: a reused archive keeps those of earlier runs.
EMAIL = f"bench-{os.getpid()}-{time.time_ns()}@example.com"
PASSWORD = "bench-password-long-enough"
TARGET_MS = 300
_AFTER_EXPORT_SECONDS = 0.5
SORTS = ("ranked", "votes", "average", "comments", "last", "title")


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    first_byte: bool = False
    """Timed until the body's first byte (a streamed export), not until its end."""


def pages(article: str, search: str) -> list[Page]:
    site = f"/dashboard/sites/{SITE}"
    listed = [
        Page("overview today", f"/dashboard/?site={SITE}&range=today"),
        Page("overview 7d", f"/dashboard/?site={SITE}&range=7d"),
        Page("overview 30d", f"/dashboard/?site={SITE}&range=30d"),
        Page("overview custom 90d", f"/dashboard/?site={SITE}&range=custom&from={_days_ago(89)}&to={_days_ago(0)}"),
    ]
    listed += [Page(f"articles sort={sort}", f"{site}/articles?sort={sort}") for sort in SORTS]
    listed += [
        Page("articles q=", f"{site}/articles?q={search}"),
        Page("articles page=500", f"{site}/articles?sort=votes&page=500"),
        Page("article (most voted)", f"{site}/articles/{article}"),
        Page("moderation pending", f"{site}/moderation"),
        Page("moderation approved", f"{site}/moderation?status=approved"),
        Page("suspect votes", f"{site}/suspects"),
        Page("settings", f"{site}/settings"),
        Page("users", "/dashboard/users"),
        Page("audit", "/dashboard/audit"),
    ]
    for what in ("ratings", "events", "comments"):
        listed.append(Page(f"export {what} csv", f"{site}/export?format=csv&what={what}", first_byte=True))
    return listed


def _days_ago(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days * 86_400))


def seed(env: dict[str, str], events: int, articles: int) -> float:
    """Seed the archive; how long it took, in seconds."""
    command = [sys.executable, "-m", "feedback", "seed", "--events", str(events), "--articles", str(articles)]
    started = time.monotonic()
    subprocess.run([*command, "--site", SITE], cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def add_admin(env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "feedback", "user", "add", EMAIL, "--role", "admin", "--password-stdin"]
    subprocess.run(command, cwd=ROOT, env=env, input=PASSWORD, text=True, check=True, stdout=subprocess.DEVNULL)


def most_voted(database: str) -> tuple[str, str]:
    """The article with the most vote events, and a word of a title to search for."""
    with sqlite3.connect(database) as db:
        (article,) = db.execute(
            "SELECT k.article FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key "
            "WHERE k.site = ? GROUP BY e.article_key ORDER BY count(*) DESC LIMIT 1",
            (SITE,),
        ).fetchone()
        (title,) = db.execute("SELECT title FROM articles WHERE site = ? AND title IS NOT NULL", (SITE,)).fetchone()
    return article, title.split()[-1]


def log_in(client: httpx.Client) -> None:
    page = client.get("/dashboard/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": match[1], "next": ""}
    answer = client.post("/dashboard/login", data=form)
    if answer.status_code != 303:
        raise RuntimeError(f"login failed: {answer.status_code}")


def timed(client: httpx.Client, page: Page) -> tuple[float, int]:
    """Milliseconds until the response (or its first byte of body), and its status. Each
    request has a connection of its own: one idle while a slow page was made is closed by
    uvicorn's keep-alive timeout, and an export's is closed after its first byte."""
    with httpx.Client(base_url=client.base_url, cookies=client.cookies, timeout=60) as once:
        started = time.perf_counter()
        with once.stream("GET", page.path) as response:
            if page.first_byte:
                next(response.iter_raw(1))
            else:
                response.read()
            return (time.perf_counter() - started) * 1000, response.status_code


def measure(url: str, listed: list[Page], rounds: int, warmup: int) -> tuple[dict[str, list[float]], list[str]]:
    """Every page once per round, in turn, so that drift of the shared machine hits all alike."""
    timings: dict[str, list[float]] = {page.name: [] for page in listed}
    failures = []
    with httpx.Client(base_url=url, timeout=60) as client:
        log_in(client)
        for number in range(warmup + rounds):
            for page in listed:
                milliseconds, status = timed(client, page)
                if status != 200:
                    failures.append(f"{page.name}: status {status}")
                elif number >= warmup:
                    timings[page.name].append(milliseconds)
                if page.first_byte:
                    # The server reads on until it notices the download was abandoned (the page
                    # of rows in hand): that must not land on the next request's time.
                    time.sleep(_AFTER_EXPORT_SECONDS)
    return timings, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarize(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1),
        }
        for name, values in timings.items()
        if values
    }


def markdown(report: dict[str, Any]) -> str:
    seconds = report["seed_seconds"]
    seeded = "an archive seeded before" if seconds is None else f"seeded in {seconds} s"
    lines = [
        f"# Dashboard benchmark {report['started']}",
        "",
        f"Archive: {report['events']:,} vote events over {report['articles']:,} articles ({seeded}, "
        f"{report['database_mb']} MB). {report['rounds']} rounds, one request at a "
        f"time; server pinned to core {SERVER_CORE}, Redis to core {LOAD_CORE}. An export is timed to its first "
        f"byte. Target: under {TARGET_MS} ms.",
        "",
        "| page | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
    ]
    for name, row in report["pages"].items():
        lines.append(f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} |")
    lines += ["", "## Versions", "", "```", json.dumps(report["versions"], indent=2), "```"]
    if report["failures"]:
        lines += ["", "## Failures", "", *(f"- {failure}" for failure in report["failures"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="(with --archive: as it was seeded)")
    parser.add_argument("--articles", type=int, default=50_000, help="(with --archive: as it was seeded)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="rounds discarded first")
    parser.add_argument("--archive", type=Path, help="an archive seeded before (site 'seed'), instead of seeding")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    started, began = time.strftime("%Y-%m-%dT%H-%M-%S"), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="feedback-bench-dashboard-") as directory:
        work = Path(directory)
        database = str(args.archive or work / "dashboard.sqlite3")
        redis = RedisProcess(work / "redis")
        env = os.environ | {"REDIS_URL": redis.url, "FEEDBACK_DB": database, "FEEDBACK_FLUSHER": "off"}
        try:
            seed_seconds = None if args.archive else seed(env, args.events, args.articles)
            add_admin(env)
            article, search = most_voted(database)
            server = Server(APP_COMMAND, env, work / "server.log")
            try:
                timings, failures = measure(server.url, pages(article, search), args.rounds, args.warmup)
            finally:
                server.stop()
        finally:
            redis.stop()
        database_mb = round(sum(f.stat().st_size for f in Path(database).parent.glob(Path(database).name + "*")) / 1e6)
    report = {
        "started": started,
        "events": args.events,
        "articles": args.articles,
        "seed_seconds": None if seed_seconds is None else round(seed_seconds, 1),
        "database_mb": database_mb,
        "rounds": args.rounds,
        "elapsed_seconds": round(time.monotonic() - began),
        "pages": summarize(timings),
        "target_ms": TARGET_MS,
        "versions": versions(),
        "failures": failures,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"dashboard-{started}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output / f"dashboard-{started}.md").write_text(markdown(report))
    print(markdown(report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
