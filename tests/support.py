"""What the tests share besides fixtures: a real redis-server they can stop and kill, the app
served by a real uvicorn, server processes, and shortcuts to vote, flush and add sites."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import httpx
import uvicorn
from redis import Redis as SyncRedis

from feedback.app import create_app
from feedback.archive import Archive, FlushPosition
from feedback.hot import HotStore, RedisClock, RedisGate
from feedback.local_days import DAY_MS
from feedback.models import Site, VoteChange, VoteEvent
from feedback.services import standalone_flusher
from feedback.services.hot_requests import HotRequests
from feedback.services.ratings import Ratings
from feedback.settings import Settings

SITE = "vnexpress"
ORIGIN = "https://news.example.vn"
READER = "reader-0000000000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


class RedisServer:
    """A real redis-server on a free port, which tests may stop, kill and start again."""

    def __init__(self, directory: Path, appendonly: bool = False, arguments: tuple[str, ...] = ()) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
        self.directory = directory
        self.port = free_port()
        self.appendonly = appendonly
        self.arguments = arguments
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        command += ["--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always"]
        command += self.arguments
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port)
        client = SyncRedis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:  # an AOF restart answers LOADING until its data is back
            try:
                client.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        """SIGKILL: Redis dies as in a crash, keeping only what its AOF (if any) holds."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def flushall(self) -> None:
        with SyncRedis.from_url(self.url) as client:
            client.flushall()


@dataclass
class LiveServer:
    """The app served by a real uvicorn in this event loop."""

    settings: Settings
    url: str
    client: httpx.AsyncClient

    def article_url(self, article: str, site: str = SITE) -> str:
        return f"/api/v1/sites/{site}/articles/{quote(article, safe='')}"

    async def vote(self, article: str, reader: str, score: int, site: str = SITE) -> httpx.Response:
        return await self.client.put(
            f"{self.article_url(article, site)}/rating", json={"score": score, "reader": reader}
        )

    async def withdraw(self, article: str, reader: str, site: str = SITE) -> httpx.Response:
        return await self.client.delete(f"{self.article_url(article, site)}/rating", params={"reader": reader})

    async def summary(self, article: str, reader: str | None = None, site: str = SITE) -> dict[str, object]:
        params = {"reader": reader} if reader else {}
        response = await self.client.get(self.article_url(article, site), params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body


@contextlib.asynccontextmanager
async def serve(settings: Settings, port: int | None = None) -> AsyncIterator[LiveServer]:
    port = port or free_port()
    # As the README's run commands: X-Forwarded-For is the app's business (FEEDBACK_TRUSTED_PROXIES).
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield LiveServer(settings, url, client)
    finally:
        server.should_exit = True
        await task


async def add_site(settings: Settings, site: str = SITE, origins: tuple[str, ...] = (ORIGIN,)) -> None:
    async with await Archive.open(settings.database_path) as archive:
        await archive.sites.save(Site(site, origins))


async def flush(settings: Settings) -> int:
    """Flush as `python -m feedback flush` does; returns how many events were applied."""
    async with standalone_flusher(settings) as flusher:
        applied = await flusher.flush_all(wait_seconds=10)
    assert applied is not None, "the flush lease stayed taken"
    return applied


def ratings_through(store: HotStore, archive: Archive, clock: RedisClock | None = None) -> Ratings:
    """Ratings through `store` (Redis first, `archive` when Redis is down), as a server builds them."""
    hot = HotRequests(store, archive, RedisGate())
    return Ratings(archive=archive, hot=hot, clock=clock or RedisClock(store.redis))


def with_redis(settings: Settings, url: str) -> Settings:
    return replace(settings, redis_url=url)


SERVE_COMMAND = [sys.executable, "-m", "feedback", "serve"]
LISTEN, ESTABLISHED = "0A", "01"  # TCP states in /proc/net/tcp


class ServerProcess:
    """`python -m feedback serve` in a process group of its own."""

    def __init__(
        self,
        settings: Settings,
        flush_seconds: float,
        workers: int = 1,
        readers_per_address: str = "off",
        env: dict[str, str] | None = None,
        stderr: Path | None = None,
    ) -> None:
        """`env` adds to the server's environment; `stderr`, a file to write its log to."""
        self.port = free_port()
        environment = os.environ | {
            "REDIS_URL": settings.redis_url,
            "FEEDBACK_DB": settings.database_path,
            "FEEDBACK_FLUSH_SECONDS": str(flush_seconds),
            "FEEDBACK_FLUSH_LEASE_SECONDS": "1",
            # A dozen writers on one address with fresh readers: the public limits would stop them.
            "FEEDBACK_VOTE_RATE": "off",
            "FEEDBACK_COMMENT_RATE": "off",
            "FEEDBACK_READERS_PER_ADDRESS": readers_per_address,
            **(env or {}),
        }
        log_level = "info" if stderr is not None else "warning"
        command = [*SERVE_COMMAND, "--port", str(self.port), "--workers", str(workers), "--log-level", log_level]
        with contextlib.ExitStack() as files:
            log = files.enter_context(stderr.open("w")) if stderr is not None else None
            self.process = subprocess.Popen(command, env=environment, stderr=log, start_new_session=True)
        wait_for_port(self.port, timeout=30)
        self.url = f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL to the whole group, and wait until none of its processes runs: a worker's
        hold on the archive (its SQLite locks) goes only when it has exited."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 10
        while running_in_group(self.process.pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes of group {self.process.pid} still run after SIGKILL")
            time.sleep(0.01)

    def terminate(self) -> None:
        """SIGTERM, and wait for a graceful exit (uvicorn re-raises the signal once it is done)."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=60) in (0, -signal.SIGTERM)


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that have not exited (zombies, exited but not yet
    reaped, are left out)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
            continue
        if int(process_group) == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def tables_before_votes_by_key(db: sqlite3.Connection) -> None:
    """Turn `votes` and `daily_votes` back into the tables they were before migration 15, site
    and article in every row, and `article_votes` without its articles' keys; for tests of the
    migrations up to it."""
    db.execute("ALTER TABLE article_votes DROP COLUMN article_key")
    for name, primary_key in (("votes", "site, article, reader"), ("daily_votes", "site, article, day")):
        declared = ", ".join(f"{column} {kind}" for (_, column, kind, *_) in db.execute(f"PRAGMA table_info({name})"))
        db.execute(f"CREATE TABLE old_{name} ({declared}, PRIMARY KEY ({primary_key})) WITHOUT ROWID")
        db.execute(f"INSERT INTO old_{name} SELECT * FROM {name}")
        db.execute(f"DROP VIEW {name}")
        db.execute(f"DROP TABLE {name}_by_key")
        db.execute(f"ALTER TABLE old_{name} RENAME TO {name}")
    db.execute(
        "CREATE INDEX votes_awaiting_review ON votes (site, updated_at, suspect, score, review) "
        "WHERE suspect AND score IS NOT NULL AND review IS NULL"
    )


def event_log_before_article_keys(db: sqlite3.Connection) -> None:
    """Turn the event log back into what it was before migration 14 (and the tables keyed since
    as before migration 15): site and article in every row, indexed by both; for tests of the
    migrations up to it."""
    tables_before_votes_by_key(db)
    db.execute(
        "CREATE TABLE old_events (id INTEGER PRIMARY KEY, site TEXT NOT NULL, article TEXT NOT NULL, "
        "reader TEXT NOT NULL, old_score INTEGER, new_score INTEGER, at INTEGER NOT NULL, "
        "suspect INTEGER NOT NULL DEFAULT 0, review TEXT CHECK (review IN ('accepted', 'discarded')))"
    )
    db.execute(
        "INSERT INTO old_events SELECT e.id, k.site, k.article, e.reader, e.old_score, e.new_score, e.at, "
        "e.suspect, e.review FROM vote_events AS e JOIN article_keys AS k ON k.id = e.article_key"
    )
    db.execute("DROP TABLE vote_events")
    db.execute("DROP TABLE article_keys")
    db.execute("ALTER TABLE old_events RENAME TO vote_events")
    db.execute("CREATE INDEX vote_events_by_article ON vote_events (site, article, at)")
    db.execute("CREATE INDEX vote_events_suspect ON vote_events (site, article, reader) WHERE suspect")
    db.execute("CREATE INDEX vote_events_by_site ON vote_events (site)")


def random_vote_events(
    rng: random.Random, count: int, first_version: int, suspect_every: int, cluster: str | None = None
) -> list[VoteEvent]:
    """Votes, changes and withdrawals of 15 readers on SITE's articles bai-1 to bai-3 over five
    days; the readers whose number `suspect_every` divides are suspect (labelled `cluster`)."""
    events = []
    for number in range(count):
        reader = rng.randrange(15)
        change = VoteChange(
            SITE,
            rng.choice(("bai-1", "bai-2", "bai-3")),
            f"reader-{reader:016d}",
            None if rng.random() < 0.15 else rng.randint(1, 5),
            suspect=reader % suspect_every == 0,
        )
        at_ms = DAY_MS * 20_000 + rng.randrange(5 * DAY_MS)
        events.append(VoteEvent(change, first_version + number, at_ms, cluster if change.suspect else None))
    return events


async def flush_random_votes(
    archive: Archive,
    seed: int,
    count: int,
    *,
    suspect_every: int,
    first_version: int = 0,
    position: str = "1-0",
    cluster: str | None = None,
) -> None:
    """Apply `random_vote_events` of `seed` as one flushed chunk read up to `position`."""
    events = random_vote_events(random.Random(seed), count, first_version, suspect_every, cluster)
    await archive.flush.apply(0, FlushPosition("epoch", position), events, [])


def sockets_of_port(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets on this machine's `port` (local side) in `state`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:  # a process that has just exited
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def workers_of(server: ServerProcess) -> list[int]:
    """The worker processes: the supervisor's children that listen on its port."""
    pid = server.process.pid
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    listening = sockets_of_port(server.port, LISTEN)
    return [child for child in children if socket_inodes(child) & listening]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)
