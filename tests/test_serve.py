"""`python -m feedback serve`: worker processes that share connections evenly, and their lifetime."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from feedback.settings import Settings
from tests.support import (
    ESTABLISHED,
    LISTEN,
    SERVE_COMMAND,
    SITE,
    ServerProcess,
    free_port,
    socket_inodes,
    sockets_of_port,
    wait_until,
    workers_of,
)


@pytest.fixture
def two_workers(site_settings: Settings) -> Iterator[ServerProcess]:
    server = ServerProcess(site_settings, flush_seconds=3600, workers=2)
    wait_until(lambda: len(sockets_of_port(server.port, LISTEN)) == 2, "both workers listen")
    yield server
    if server.process.poll() is None:
        server.terminate()


def test_each_worker_listens_on_a_socket_of_its_own(two_workers: ServerProcess) -> None:
    listening = sockets_of_port(two_workers.port, LISTEN)
    held = [socket_inodes(worker) & listening for worker in workers_of(two_workers)]
    assert len(held) == 2
    assert all(len(inodes) == 1 for inodes in held)
    assert held[0] != held[1]  # uvicorn's --workers shares one: the kernel cannot spread over it


def test_workers_share_long_lived_connections(two_workers: ServerProcess) -> None:
    # Opened at once and kept, like a reverse proxy's keep-alive connections (uvicorn's own
    # --workers tends to give all of them to one worker).
    connections = [socket.create_connection(("127.0.0.1", two_workers.port)) for _ in range(32)]
    try:
        request = f"GET /api/v1/sites/{SITE}/articles/bai-1 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        for connection in connections:
            connection.sendall(request)
        for connection in connections:
            assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        established = sockets_of_port(two_workers.port, ESTABLISHED)
        held = [len(socket_inodes(worker) & established) for worker in workers_of(two_workers)]
    finally:
        for connection in connections:
            connection.close()
    assert sum(held) == 32
    # Spread by the hash of each connection's addresses: 32 land 16/16 on average, and a split
    # worse than 4/28 happens about once in 200,000 runs.
    assert min(held) >= 4, held


def test_a_worker_that_dies_is_replaced(two_workers: ServerProcess) -> None:
    first, second = workers_of(two_workers)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: len(workers_of(two_workers)) == 2 and first not in workers_of(two_workers), "a new worker")
    assert second in workers_of(two_workers)
    for _ in range(8):  # new connections, spread over both workers
        response = httpx.get(f"{two_workers.url}/api/v1/sites/{SITE}/articles/bai-1")
        assert response.status_code == 200


def test_sigterm_stops_every_worker(two_workers: ServerProcess) -> None:
    workers = workers_of(two_workers)
    two_workers.terminate()
    for worker in workers:
        assert not Path(f"/proc/{worker}").exists()


def test_workers_stop_and_flush_when_their_supervisor_is_killed(
    two_workers: ServerProcess, site_settings: Settings
) -> None:
    workers = workers_of(two_workers)
    for number in range(8):  # new connections, spread over both workers
        vote = {"score": 4, "reader": f"reader-{number:016d}"}
        response = httpx.put(f"{two_workers.url}/api/v1/sites/{SITE}/articles/bai-1/rating", json=vote)
        assert response.status_code == 200
    os.kill(two_workers.process.pid, signal.SIGKILL)  # the supervisor alone, not its process group
    two_workers.process.wait()
    try:
        wait_until(lambda: not any(map(running, workers)), "the orphaned workers exit")
    finally:
        with contextlib.suppress(ProcessLookupError):  # what is left of its group, when they did not
            os.killpg(two_workers.process.pid, signal.SIGKILL)
    with sqlite3.connect(site_settings.database_path) as database:
        (flushed,) = database.execute("SELECT count(*) FROM votes WHERE site = ?", (SITE,)).fetchone()
    assert flushed == 8  # each flushed what it held as it stopped


def running(pid: int) -> bool:
    """Whether a process runs: not gone, and not a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def serve_until_it_exits(settings: Settings, *options: str, database: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m feedback serve` with `options`, when it is to exit by itself."""
    env = os.environ | {"REDIS_URL": settings.redis_url, "FEEDBACK_DB": database or settings.database_path}
    return subprocess.run([*SERVE_COMMAND, *options], env=env, capture_output=True, text=True, timeout=60)


def test_a_port_in_use_fails_at_once(two_workers: ServerProcess, site_settings: Settings) -> None:
    second = serve_until_it_exits(site_settings, "--port", str(two_workers.port), "--workers", "2")
    assert second.returncode == 3
    assert "Address already in use" in second.stderr


def test_an_app_that_cannot_start_stops_the_workers_instead_of_restarting_them(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "a-file").touch()  # where the database's folder should be: the app cannot start
    database = str(tmp_path / "a-file" / "db.sqlite3")
    failed = serve_until_it_exits(settings, "--port", str(free_port()), "--workers", "2", database=database)
    assert failed.returncode == 3
    assert failed.stderr.count("Application startup failed") <= 2, "workers were started again"


@pytest.mark.parametrize(
    ("option", "message"), [(["--port", "70000"], "a port is 0-65535"), (["--workers", "0"], "at least 1")]
)
def test_bad_options_are_refused_by_name(settings: Settings, option: list[str], message: str) -> None:
    refused = serve_until_it_exits(settings, *option)
    assert refused.returncode == 2
    assert option[0] in refused.stderr and message in refused.stderr


def flusher_of(server: ServerProcess) -> int:
    """The server's flusher process, by the name it gives itself once it has started."""
    found: list[int] = []

    def named() -> bool:
        pid = server.process.pid
        # Each thread lists the children it started: a flusher started again is its watcher thread's.
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in children.read_text().split():
                with contextlib.suppress(FileNotFoundError):
                    if Path(f"/proc/{child}/comm").read_text().strip() == "feedback-flush":
                        found.append(int(child))
                        return True
        return False

    wait_until(named, "the flusher process")
    return found[0]


@pytest.fixture
def one_worker(site_settings: Settings) -> Iterator[ServerProcess]:
    server = ServerProcess(site_settings, flush_seconds=0.2)
    yield server
    if server.process.poll() is None:
        server.terminate()


def test_the_server_flushes_in_a_child_process_at_a_lower_priority(
    one_worker: ServerProcess, site_settings: Settings
) -> None:
    flusher = flusher_of(one_worker)
    assert os.getpriority(os.PRIO_PROCESS, flusher) == 10  # it names itself once its priority is lowered
    vote = {"score": 5, "reader": "reader-0000000000000001"}
    response = httpx.put(f"{one_worker.url}/api/v1/sites/{SITE}/articles/bai-1/rating", json=vote)
    assert response.status_code == 200

    def flushed() -> bool:
        with sqlite3.connect(site_settings.database_path) as database:
            return database.execute("SELECT count(*) FROM votes WHERE site = ?", (SITE,)).fetchone() == (1,)

    wait_until(flushed, "the vote reaches SQLite")


def test_a_flusher_process_that_dies_is_started_again(one_worker: ServerProcess, site_settings: Settings) -> None:
    first = flusher_of(one_worker)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: not running(first), "the flusher dies")

    wait_until(lambda: flusher_of(one_worker) != first, "another flusher starts")
    vote = {"score": 4, "reader": "reader-0000000000000002"}
    assert httpx.put(f"{one_worker.url}/api/v1/sites/{SITE}/articles/bai-2/rating", json=vote).status_code == 200

    def flushed() -> bool:
        with sqlite3.connect(site_settings.database_path) as database:
            return database.execute("SELECT count(*) FROM votes WHERE article = 'bai-2'").fetchone() == (1,)

    wait_until(flushed, "the new flusher flushes")


def test_the_flusher_process_stops_with_its_server(one_worker: ServerProcess) -> None:
    flusher = flusher_of(one_worker)
    os.kill(one_worker.process.pid, signal.SIGKILL)  # the server alone, not its process group
    one_worker.process.wait()
    try:
        wait_until(lambda: not running(flusher), "the orphaned flusher exits")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(one_worker.process.pid, signal.SIGKILL)
