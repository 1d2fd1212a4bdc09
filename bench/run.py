"""The benchmark suite: the app's endpoints against a bare Starlette endpoint, side by side.

Run by `make bench` (full, under 10 minutes) or `make bench-quick`. The server under test is
pinned to core 0; wrk and Redis share core 1. Every throughput is a ratio to the baseline
(`GET /hello` on a bare Starlette app with the same uvicorn settings) measured in the same
round; rounds interleave the scenarios, so drift of the shared machine hits all alike.

The throughput scenarios measure the request path: each scenario's votes are flushed into
SQLite after it, before the next one starts. What flushing costs the votes arriving meanwhile is
the flush scenario's measure (a 1,000,000-event backlog flushed under votes), and the flusher's
own speed its events per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from redis import Redis as SyncRedis

from feedback.archive import Archive
from feedback.hot import HotStore, connect
from feedback.models import ArticleState, Site, VoteChange

ROOT = Path(__file__).resolve().parent.parent
WRK = ROOT / "bench" / "wrk"
SITE = "bench"
BENCH_ARTICLES = 10_000
SERVER_CORE = "0"
LOAD_CORE = "1"
FLUSH_ONCE_COMMAND = ["taskset", "-c", LOAD_CORE, sys.executable, "-m", "feedback", "flush"]
# In the flush scenario the flusher is background work: at idle priority it takes only the time
# Redis and wrk leave.
FLUSHER_COMMAND = ["chrt", "--idle", "0", *FLUSH_ONCE_COMMAND, "--watch"]
# wrk is one client address with 100,000 readers: the limits meant for the public would stop it.
NO_ABUSE_LIMITS = {"FEEDBACK_VOTE_RATE": "off", "FEEDBACK_COMMENT_RATE": "off", "FEEDBACK_READERS_PER_ADDRESS": "off"}
# The baseline's uvicorn settings are the app's (`python -m feedback serve`): uvloop, httptools, no
# access log, no proxy headers.
HELLO_COMMAND = [sys.executable, "-m", "uvicorn", "bench.hello:app", "--loop", "uvloop", "--http", "httptools"]
HELLO_COMMAND += ["--no-access-log", "--no-proxy-headers", "--log-level", "warning"]
APP_COMMAND = [sys.executable, "-m", "feedback", "serve", "--log-level", "warning"]
# The default log level writes a JSON line per request (the app's access log) into the server's log file.
LOGGED_APP_COMMAND = [sys.executable, "-m", "feedback", "serve", "--log-level", "info"]


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # "hello", "app", "app_flushing", "app_metrics" or "app_logged"
    script: str
    connections: int
    target: str


SCENARIOS = [
    Scenario("hello", "hello", "hello.lua", 64, "baseline"),
    Scenario("put", "app", "put.lua", 64, ">= 0.55x hello (aim 0.65x)"),
    Scenario("get", "app", "get.lua", 64, ">= 0.60x hello"),
    Scenario("summaries20", "app", "summaries.lua", 64, ">= 0.25x hello"),
    Scenario("put_c4", "app", "put.lua", 4, "p99 <= 2 ms"),
    # The default deployment: `serve` flushes into SQLite itself, in a child process at idle
    # priority on the same core.
    Scenario("put_server_flushes", "app_flushing", "put.lua", 64, ">= 0.55x hello: serve's own flusher"),
    # The same votes with FEEDBACK_METRICS=on: against `put`, what counting them costs.
    Scenario("put_metrics", "app_metrics", "put.lua", 64, "metrics cost < 5% of put"),
    # The same votes at the default log level, a JSON line for each.
    Scenario("put_logged", "app_logged", "put.lua", 64, "reference: the access log's cost"),
]
# The scenarios whose throughputs are compared, numerator first: (name, against, what it measures).
COSTS = [("put_metrics", "put", "metrics"), ("put_logged", "put", "access_log")]


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    cpu_us_per_request: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass
class Results:
    rounds: list[dict[str, Run]] = field(default_factory=list)
    flush: dict[str, Any] = field(default_factory=dict)
    flusher_alone: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    workers: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def pinned(command: list[str], cores: str | None) -> list[str]:
    """`command` run on `cores` only (None: wherever the kernel schedules it)."""
    return ["taskset", "-c", cores, *command] if cores is not None else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class Server:
    """A uvicorn process; `cpu_seconds` counts it and its worker processes."""

    def __init__(
        self, command: list[str], env: dict[str, str], log: Path, cores: str | None = SERVER_CORE, workers: int = 1
    ):
        self.port = free_port()
        command = [*command, "--port", str(self.port), "--workers", str(workers)]
        self.log = log.open("ab")
        self.process = subprocess.Popen(pinned(command, cores), cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        wait_until_listening(self.port, self.process)
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        return sum(process_cpu_seconds(pid) for pid in pids)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def process_cpu_seconds(pid: int) -> float:
    """The user and system CPU time of process `pid`; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def idle_seconds() -> float:
    """How long all cores together have been idle since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[4]) / os.sysconf("SC_CLK_TCK")


def load_generator_cpu_seconds() -> float:
    """The CPU time of this process's finished children: wrk's, once it has exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class RedisProcess:
    def __init__(self, directory: Path, cores: str | None = LOAD_CORE) -> None:
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory)]
        command += ["--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"]
        self.process = subprocess.Popen(pinned(command, cores), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, self.process)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def wrk(
    url: str, scenario: Scenario, seconds: float, env: dict[str, str], cores: str | None = LOAD_CORE
) -> dict[str, Any]:
    script = "\n".join((WRK / name).read_text() for name in ("common.lua", scenario.script, "report.lua"))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    command = ["wrk", "-t1", f"-c{scenario.connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "-s", file.name, url]
    # The load generator stands for clients on other machines: it must not take the server's CPU
    # time. Pinned, it has a core of its own; unpinned, it runs as a batch task, which the kernel
    # never lets preempt the server when it wakes (measured with two workers: each worker was
    # preempted 140-280 times per 1,000 requests, 20-40 times with wrk a batch task, and spent
    # 4-7 us less CPU time per request).
    command = pinned(command, cores) if cores is not None else ["chrt", "--batch", "0", *command]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60)
    os.unlink(file.name)
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed for {scenario.name}: {result.stdout}\n{result.stderr}")
    report: dict[str, Any] = json.loads(match.group(1))
    return report


def measure(
    server: Server, scenario: Scenario, seconds: float, env: dict[str, str], load_cores: str | None = LOAD_CORE
) -> Run:
    cpu_before = server.cpu_seconds()
    report = wrk(server.url, scenario, seconds, env, load_cores)
    cpu = server.cpu_seconds() - cpu_before
    requests = max(report["requests"], 1)
    return Run(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        failures=report["non_2xx"] + report["socket_errors"],
        cpu_us_per_request=cpu / requests * 1e6,
    )


async def prepare_archive(database: str) -> None:
    async with await Archive.open(database) as archive:
        await archive.sites.save(Site(SITE, ("http://localhost",)))


async def load_articles(redis_url: str, prefix: str, articles: int) -> None:
    """Make `articles` articles hot (loaded, no votes), as their first readers would."""
    redis = connect(redis_url)
    store = HotStore(redis)
    empty = ArticleState({}, None, None)
    for start in range(0, articles, 50):
        names = [f"{prefix}{number}" for number in range(start, min(start + 50, articles))]
        await asyncio.gather(*(store.articles.load(SITE, name, empty, stale_drops="0") for name in names))
    await redis.aclose()


async def prefill(redis_url: str, articles: int, events: int) -> None:
    """Leave `events` pending votes over `articles` hot articles, as a burst of traffic would."""
    redis = connect(redis_url)
    store = HotStore(redis)
    batch: list[VoteChange] = []
    for number in range(events):
        article = f"dirty-{number % articles}"
        batch.append(VoteChange(SITE, article, f"prefill-reader-{number:09d}", 1 + number % 5))
        if len(batch) == 1000:
            await store.votes.apply(batch)
            batch = []
    if batch:
        await store.votes.apply(batch)
    await redis.aclose()


def used_memory(redis_url: str) -> int:
    """Redis's memory once the clients that filled it are gone (their buffers count too)."""
    with SyncRedis.from_url(redis_url) as client:
        deadline = time.monotonic() + 10
        while client.info("clients")["connected_clients"] > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        info: dict[str, Any] = client.info("memory")  # type: ignore[assignment]
        return int(info["used_memory"])


def wait_until_flushed(redis_url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with SyncRedis.from_url(redis_url) as client:
        while client.xlen("feedback:{0}:events") and time.monotonic() < deadline:
            time.sleep(0.1)


def flushed_prefill(database: str) -> int:
    """How many of the prefilled backlog's events SQLite holds (the votes keep adding more)."""
    with sqlite3.connect(database) as db:
        count: int = db.execute("SELECT count(*) FROM vote_events WHERE reader LIKE 'prefill-%'").fetchone()[0]
        return count


@dataclass
class AppStack:
    """The app with its own Redis and SQLite file."""

    server: Server
    redis: RedisProcess
    env: dict[str, str]
    flusher_in_server: bool
    load_cores: str | None

    def flush(self) -> None:
        """Move every pending vote into SQLite, so that one scenario's flush never runs into the
        next one: by a one-shot `python -m feedback flush` on the load core, or, for an app that
        flushes by itself, by waiting for it."""
        if self.flusher_in_server:
            wait_until_flushed(self.redis.url)
        else:
            subprocess.run(FLUSH_ONCE_COMMAND, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, check=True)


def app_env(redis_url: str, database: str, flusher_in_server: bool, metrics: bool = False) -> dict[str, str]:
    """The environment of an app (and of its flusher process) under test."""
    return os.environ | {
        "REDIS_URL": redis_url,
        "FEEDBACK_DB": database,
        "FEEDBACK_FLUSH_SECONDS": "2",
        "FEEDBACK_FLUSHER": "on" if flusher_in_server else "off",
        "FEEDBACK_METRICS": "on" if metrics else "off",
        **NO_ABUSE_LIMITS,
    }


@contextmanager
def app_stack(
    work: Path,
    name: str,
    flusher_in_server: bool = False,
    workers: int = 1,
    pin: bool = True,
    metrics: bool = False,
    access_log: bool = False,
) -> Iterator[AppStack]:
    """The app on core 0 with Redis (and wrk, in `measure`) on core 1, or, unless `pin`, all of
    them wherever the kernel schedules them."""
    server_cores, load_cores = (SERVER_CORE, LOAD_CORE) if pin else (None, None)
    redis = RedisProcess(work / f"redis-{name}", load_cores)
    # Every article the scenarios touch is hot from the start, as on a site in use: otherwise the
    # first rounds would also measure loading them from SQLite, one round trip after another.
    asyncio.run(load_articles(redis.url, "article-", BENCH_ARTICLES + 1))
    database = str(work / f"{name}.sqlite3")
    asyncio.run(prepare_archive(database))
    env = app_env(redis.url, database, flusher_in_server, metrics)
    command = LOGGED_APP_COMMAND if access_log else APP_COMMAND
    server = Server(command, env, work / f"{name}.log", cores=server_cores, workers=workers)
    try:
        yield AppStack(server, redis, env, flusher_in_server, load_cores)
    finally:
        # Redis first: the server flushes what is pending when it stops, and the benchmark keeps
        # nothing (the workers scenario leaves a million votes, a minute and a half of flushing).
        redis.stop()
        server.stop()


def run_rounds(args: argparse.Namespace, work: Path, results: Results, env: dict[str, str]) -> None:
    hello = Server(HELLO_COMMAND, os.environ.copy(), work / "hello.log")
    try:
        with ExitStack() as started:
            options = {
                "app": {},
                "app_flushing": {"flusher_in_server": True},
                "app_metrics": {"metrics": True},
                "app_logged": {"access_log": True},
            }
            # Only the servers the chosen scenarios use: each one costs a Redis and a warm-up.
            stacks = {
                server: started.enter_context(app_stack(work, server.replace("_", "-"), **options[server]))
                for server in dict.fromkeys(scenario.server for scenario in args.scenarios[1:])
            }

            def measure_alone(scenario: Scenario, seconds: int) -> Run:
                if scenario.server == "hello":
                    return measure(hello, scenario, seconds, env)
                stack = stacks[scenario.server]
                run = measure(stack.server, scenario, seconds, env)
                stack.flush()
                return run

            print(f"warm-up: {args.warmup} s per scenario", flush=True)
            for scenario in args.scenarios:
                measure_alone(scenario, args.warmup)
            for number in range(1, args.rounds + 1):
                runs = {}
                for scenario in args.scenarios:
                    run = measure_alone(scenario, args.duration)
                    runs[scenario.name] = run
                    if run.failures:
                        results.failures.append(f"round {number} {scenario.name}: {run.failures} failed requests")
                results.rounds.append(runs)
                summary = ", ".join(f"{name} {run.rps:,.0f}/s" for name, run in runs.items())
                print(f"round {number}/{args.rounds}: {summary}", flush=True)
    finally:
        hello.stop()


# The p99 without a flush: the median of this many short runs after it.
_RUNS_AFTER_FLUSH = 5


def run_flush_under_load(args: argparse.Namespace, work: Path, results: Results, env: dict[str, str]) -> None:
    """Votes at 4 connections while the flusher moves a big backlog, against the same without."""
    scenario = next(s for s in SCENARIOS if s.name == "put_c4")
    redis = RedisProcess(work / "redis-flush")
    try:
        _flush_under_load(args, work, results, env, scenario, redis)
    finally:
        redis.stop()


def _flush_under_load(
    args: argparse.Namespace, work: Path, results: Results, env: dict[str, str], scenario: Scenario, redis: RedisProcess
) -> None:
    database = str(work / "flush.sqlite3")
    asyncio.run(prepare_archive(database))
    print(f"flush: prefilling {args.flush_events:,} pending events over {args.flush_articles:,} articles", flush=True)
    asyncio.run(load_articles(redis.url, "article-", BENCH_ARTICLES + 1))  # the votes' articles stay hot
    asyncio.run(load_articles(redis.url, "dirty-", args.flush_articles))
    memory_before = used_memory(redis.url)
    asyncio.run(prefill(redis.url, args.flush_articles, args.flush_events))
    memory_after = used_memory(redis.url)
    results.memory = {
        "pending_votes": args.flush_events,
        "articles": args.flush_articles,
        "bytes_per_pending_vote": round((memory_after - memory_before) / args.flush_events, 1),
        "target": "<= 200 bytes",
    }
    flushing_env = app_env(redis.url, database, flusher_in_server=False)
    app = Server(APP_COMMAND, flushing_env, work / "flush.log")
    # The flusher process, on the load core, starts on the backlog at once: measure meanwhile.
    flusher = subprocess.Popen(FLUSHER_COMMAND, cwd=ROOT, env=flushing_env, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    during: list[Run] = []
    try:
        while flushed_prefill(database) < args.flush_events:
            during.append(measure(app, scenario, min(args.duration, 2), env))
            if time.monotonic() - started > args.flush_timeout:
                results.failures.append(f"flush of {args.flush_events} events did not finish in {args.flush_timeout} s")
                break
        flush_seconds = time.monotonic() - started
        after = [measure(app, scenario, min(args.duration, 2), env) for _ in range(_RUNS_AFTER_FLUSH)]
    finally:
        app.stop()
        flusher.send_signal(signal.SIGTERM)
        flusher.wait(timeout=300)
    flushed = flushed_prefill(database)
    if flushed != args.flush_events:
        results.failures.append(f"flush applied {flushed} of {args.flush_events} prefilled events")
    failed = sum(run.failures for run in during + after)
    if failed:
        results.failures.append(f"flush under load: {failed} failed requests")
    p99_during = max(run.p99_ms for run in during) if during else 0.0
    p99_after = statistics.median(run.p99_ms for run in after)
    results.flush = {
        "events": args.flush_events,
        "articles": args.flush_articles,
        "flush_seconds": round(flush_seconds, 1),
        "events_per_second": round(args.flush_events / flush_seconds),
        "p99_ms_during_flush": round(p99_during, 2),
        "p99_ms_without_flush": round(p99_after, 2),
        "p99_ratio": round(p99_during / p99_after, 2) if p99_after else None,
        "failed_requests": failed,
        "target": "p99 <= 2x without flush; flush finishes; no request fails",
    }
    print(f"flush: {results.flush}", flush=True)


def run_flusher_alone(args: argparse.Namespace, work: Path, results: Results, env: dict[str, str]) -> None:
    """The flusher with nothing else to do: a one-shot `python -m feedback flush` of a backlog
    into a fresh archive (with every aggregate the dashboard reads), pinned to the server's core;
    and its floor on the same core, what reading that backlog and the flush's SQL alone cost
    (`bench/floor.py`), the rate no flusher making these writes could pass."""
    redis = RedisProcess(work / "redis-flusher-alone")
    database = str(work / "flusher-alone.sqlite3")
    try:
        asyncio.run(prepare_archive(database))
        backlog = f"{args.flush_events:,} events over {args.flush_articles:,} articles"
        print(f"flusher alone: prefilling {backlog}", flush=True)
        asyncio.run(load_articles(redis.url, "dirty-", args.flush_articles))
        asyncio.run(prefill(redis.url, args.flush_articles, args.flush_events))
        print("flusher alone: the floor (reading the backlog and replaying its SQL)", flush=True)
        floor_command = pinned([sys.executable, "-m", "bench.floor", redis.url, str(work)], SERVER_CORE)
        floor = json.loads(subprocess.run(floor_command, cwd=ROOT, capture_output=True, check=True).stdout)
        flusher_env = app_env(redis.url, database, flusher_in_server=False)
        command = ["taskset", "-c", SERVER_CORE, sys.executable, "-m", "feedback", "flush"]
        cpu_before, redis_before = load_generator_cpu_seconds(), redis.cpu_seconds()
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, env=flusher_env, stdout=subprocess.DEVNULL, check=True)
        seconds = time.monotonic() - started
        cpu, redis_cpu = load_generator_cpu_seconds() - cpu_before, redis.cpu_seconds() - redis_before
    finally:
        redis.stop()
    flushed = flushed_prefill(database)
    if flushed != args.flush_events:
        results.failures.append(f"flusher alone applied {flushed} of {args.flush_events} prefilled events")
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    results.flusher_alone = {
        "events": args.flush_events,
        "articles": args.flush_articles,
        "flush_seconds": round(seconds, 1),
        "events_per_second": round(flushed / seconds),
        "flusher_cpu_us_per_event": round(cpu / flushed * 1e6, 1),
        "redis_cpu_us_per_event": round(redis_cpu / flushed * 1e6, 1),
        "sqlite_bytes_per_event": round(Path(database).stat().st_size / flushed),
        "target": ">= 60,000 events/s (aim 100,000)",
        "floor": floor,
        "share_of_floor": round(flushed / seconds / floor["events_per_second"], 2),
    }
    print(f"flusher alone: {results.flusher_alone}", flush=True)


@dataclass(frozen=True)
class CpuPerRequest:
    """Where a request's CPU time went, in microseconds, and how much of the cores stayed idle."""

    server: float
    redis: float
    load_generator: float
    idle_cores: float


def run_workers(args: argparse.Namespace, work: Path, results: Results, env: dict[str, str]) -> None:
    """PUT throughput with 2 uvicorn workers against 1, rounds interleaved. Nothing is pinned:
    the workers share both cores with wrk and Redis, as on a 2-core host, and the kernel places
    each process where it finds room.

    Where the CPU time goes is measured too, because it bounds the ratio: one worker is bound by
    its own core (1 / server time per request), two by both cores, which also run Redis and wrk
    (2 / the sum of the three). So the ratio is near 2 x server(one) / (server + Redis + wrk)(two),
    reported as the ceiling estimate.

    Nothing flushes here (the stacks' flusher is off), so no flush can run into a measure: the
    votes wait in Redis, about 90 bytes each."""
    scenario = next(s for s in SCENARIOS if s.name == "put")
    runs: dict[int, list[tuple[Run, CpuPerRequest]]] = {1: [], 2: []}
    with (
        app_stack(work, "one-worker", workers=1, pin=False) as one,
        app_stack(work, "two-workers", workers=2, pin=False) as two,
    ):

        def measure_cpu(stack: AppStack, seconds: int) -> tuple[Run, CpuPerRequest]:
            redis_cpu, load_cpu, idle = stack.redis.cpu_seconds(), load_generator_cpu_seconds(), idle_seconds()
            run = measure(stack.server, scenario, seconds, env, stack.load_cores)
            requests = max(run.requests, 1)
            cpu = CpuPerRequest(
                server=run.cpu_us_per_request,
                redis=(stack.redis.cpu_seconds() - redis_cpu) / requests * 1e6,
                load_generator=(load_generator_cpu_seconds() - load_cpu) / requests * 1e6,
                idle_cores=(idle_seconds() - idle) / run.seconds,
            )
            return run, cpu

        measure_cpu(one, args.warmup)
        measure_cpu(two, args.warmup)
        for _ in range(args.rounds):
            for workers, stack in ((1, one), (2, two)):
                runs[workers].append(measure_cpu(stack, args.duration))
                if runs[workers][-1][0].failures:
                    results.failures.append(f"workers: {workers} worker(s): failed requests")
    ratios = [double.rps / single.rps for (single, _), (double, _) in zip(runs[1], runs[2], strict=True)]
    one_cpu, two_cpu = (_median_cpu([cpu for _, cpu in runs[workers]]) for workers in (1, 2))
    results.workers = {
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_min": round(min(ratios), 2),
        "ratio_max": round(max(ratios), 2),
        "target": ">= 1.2x",
        "ceiling_estimate": round(2 * one_cpu.server / (two_cpu.server + two_cpu.redis + two_cpu.load_generator), 2),
        "one_worker": {"rps_median": round(statistics.median(run.rps for run, _ in runs[1])), **vars(one_cpu)},
        "two_workers": {"rps_median": round(statistics.median(run.rps for run, _ in runs[2])), **vars(two_cpu)},
    }
    print(f"workers: {results.workers}", flush=True)


def _median_cpu(measures: list[CpuPerRequest]) -> CpuPerRequest:
    """Each part's median over the rounds."""
    return CpuPerRequest(
        server=round(statistics.median(cpu.server for cpu in measures), 1),
        redis=round(statistics.median(cpu.redis for cpu in measures), 1),
        load_generator=round(statistics.median(cpu.load_generator for cpu in measures), 1),
        idle_cores=round(statistics.median(cpu.idle_cores for cpu in measures), 2),
    )


def versions() -> dict[str, str]:
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    return {
        "python": platform.python_version(),
        "starlette": metadata.version("starlette"),
        "uvicorn": metadata.version("uvicorn"),
        "redis-py": metadata.version("redis"),
        "hiredis": metadata.version("hiredis"),
        "redis": next((part.split("=")[1] for part in redis_version if part.startswith("v=")), "?"),
        "sqlite": sqlite3.sqlite_version,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def summarize(results: Results) -> dict[str, Any]:
    table = {}
    for scenario in (scenario for scenario in SCENARIOS if scenario.name in results.rounds[0]):
        runs = [round_runs[scenario.name] for round_runs in results.rounds]
        ratios = [round_runs[scenario.name].rps / round_runs["hello"].rps for round_runs in results.rounds]
        table[scenario.name] = {
            "connections": scenario.connections,
            "ratio_median": round(statistics.median(ratios), 3),
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
            "rps_median": round(statistics.median(run.rps for run in runs)),
            "p50_ms": round(statistics.median(run.p50_ms for run in runs), 2),
            "p99_ms": round(statistics.median(run.p99_ms for run in runs), 2),
            "cpu_us_per_request": round(statistics.median(run.cpu_us_per_request for run in runs), 1),
            "target": scenario.target,
        }
    return table


def costs(results: Results) -> dict[str, Any]:
    """Per cost in COSTS whose two scenarios ran, from the same round's runs (the median and the
    min-max over the rounds): the throughput lost, 1 - numerator / against, and the server CPU
    time per request added, numerator / against - 1. On a machine others share, the throughput
    moves with their load from one run to the next; CPU time per request far less."""
    measured = {}
    for name, against, what in COSTS:
        if name not in results.rounds[0] or against not in results.rounds[0]:
            continue
        lost = [1 - runs[name].rps / runs[against].rps for runs in results.rounds]
        cpu = [runs[name].cpu_us_per_request / runs[against].cpu_us_per_request - 1 for runs in results.rounds]
        measured[what] = {
            "scenarios": f"{name} against {against}",
            "cost_median": round(statistics.median(lost), 3),
            "cost_min": round(min(lost), 3),
            "cost_max": round(max(lost), 3),
            "cpu_cost_median": round(statistics.median(cpu), 3),
            "cpu_cost_min": round(min(cpu), 3),
            "cpu_cost_max": round(max(cpu), 3),
        }
    return measured


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Benchmark {report['started']}",
        "",
        f"{report['rounds']} rounds of {report['duration']} s per scenario, {report['elapsed_seconds']} s in all; "
        f"server pinned to core {SERVER_CORE}, "
        f"wrk and Redis on core {LOAD_CORE} (for workers, nothing pinned and wrk a batch task). "
        "Ratios are to `GET /hello` in the same round.",
        "",
        "| scenario | conns | ratio median (min-max) | req/s | p50 ms | p99 ms | CPU us/req | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["scenarios"].items():
        ratio = f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}-{row['ratio_max']:.2f})"
        lines.append(
            f"| {name} | {row['connections']} | {ratio} | {row['rps_median']:,} | {row['p50_ms']} "
            f"| {row['p99_ms']} | {row['cpu_us_per_request']} | {row['target']} |"
        )
    lines += [
        "",
        "## Costs (throughput lost, and server CPU time per request added)",
        "",
        "```",
        json.dumps(report["costs"], indent=2),
    ]
    lines += ["```", "", "## Flusher alone", "", "```", json.dumps(report["flusher_alone"], indent=2), "```"]
    lines += ["", "## Flush under load", "", "```", json.dumps(report["flush"], indent=2), "```"]
    lines += ["", "## Redis memory", "", "```", json.dumps(report["memory"], indent=2), "```"]
    lines += ["", "## Workers", "", "```", json.dumps(report["workers"], indent=2), "```"]
    lines += ["", "## Versions", "", "```", json.dumps(report["versions"], indent=2), "```"]
    if report["failures"]:
        lines += ["", "## Failures", "", *(f"- {failure}" for failure in report["failures"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6, help="whole seconds per scenario and round")
    parser.add_argument("--warmup", type=int, default=3, help="whole seconds per scenario, discarded")
    parser.add_argument("--flush-events", type=int, default=1_000_000)
    parser.add_argument("--flush-articles", type=int, default=100_000)
    parser.add_argument("--flush-timeout", type=float, default=300)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=SCENARIOS,
        help="comma-separated names of the throughput scenarios to run (hello is always measured)",
    )
    parser.add_argument(
        "--phases",
        type=lambda names: names.split(","),
        default=["flusher", "flush", "workers"],
        help="after the throughput rounds: flusher (alone), flush (under load), workers; all by default, or none ('')",
    )
    args = parser.parse_args()
    for tool in ("wrk", "redis-server", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed: `make bench` installs it")
    env = os.environ | {"BENCH_SITE": SITE, "BENCH_ARTICLES": str(BENCH_ARTICLES), "BENCH_READERS": "100000"}
    results = Results()
    started, began = time.strftime("%Y-%m-%dT%H-%M-%S"), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="feedback-bench-") as directory:
        work = Path(directory)
        phases = {"flusher": run_flusher_alone, "flush": run_flush_under_load, "workers": run_workers}
        for phase in (run_rounds, *(phases[name] for name in args.phases if name)):
            phase(args, work, results, env)
            print(f"{phase.__name__} done: {time.monotonic() - began:.0f} s since the start", flush=True)
    report = {
        "started": started,
        "rounds": args.rounds,
        "duration": args.duration,
        "elapsed_seconds": round(time.monotonic() - began),
        "scenarios": summarize(results),
        "costs": costs(results),
        "flusher_alone": results.flusher_alone,
        "flush": results.flush,
        "memory": results.memory,
        "workers": results.workers,
        "versions": versions(),
        "failures": results.failures,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{started}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output / f"{started}.md").write_text(markdown(report))
    print(markdown(report))
    return 1 if results.failures else 0


def _scenarios(names: str) -> list[Scenario]:
    by_name = {scenario.name: scenario for scenario in SCENARIOS}
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in by_name]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenarios {unknown}; known: {', '.join(by_name)}")
    return [by_name["hello"], *(by_name[name] for name in chosen if name != "hello")]


if __name__ == "__main__":
    sys.exit(main())
