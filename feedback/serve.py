"""Serving the app: uvicorn, in one process or in worker processes that each listen on a socket
of their own (`python -m feedback serve`).

uvicorn's own `--workers` shares one listening socket among its workers, and the first worker
awake accepts every connection waiting: long-lived connections (a reverse proxy's keep-alive
ones, a load test's) pile onto one worker while the others idle (docs/performance.md). Here each
worker binds the same address with SO_REUSEPORT and Linux spreads new connections over their
sockets evenly. The parent binds it first, so that a port in use fails at once, and holds it
while the workers run (a bound socket that does not listen is given no connections). A worker
whose parent dies, even by SIGKILL, is sent SIGTERM by the kernel, and stops as at any SIGTERM:
it finishes its requests and flushes what it holds.

Flushing into SQLite (`FEEDBACK_FLUSHER=on`, with a Redis) is a child process of its own at a
lower priority (nice 10), not a task in the workers' event loops, where it took the requests'
CPU time and the GIL (docs/performance.md); it is started again when it dies, and stops with the
server.

With metrics on, the workers and the flusher keep them in a directory made for this run
(prometheus-client's multiprocess mode, see feedback/metrics.py), removed when the server stops
(or, after a SIGKILL, by the next server to start); a dead worker's live gauges are dropped from it
before another takes its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import logging.config
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from feedback.collector import tune_for_throughput
from feedback.logs import log_config, spare_record_details
from feedback.metrics import forget_process
from feedback.services import flush_until_stopped
from feedback.settings import LogFormat, Settings

log = logging.getLogger("uvicorn.error")

# A worker that dies is started again, but not in a tight loop when it dies at start-up.
_RESTART_DELAY_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PR_SET_NAME = 15
_FLUSHER_NICENESS = 10
FLUSHER_VARIABLE = "FEEDBACK_FLUSHER"
_METRICS_PREFIX = "feedback-metrics-"


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int
    log_level: str
    log_format: LogFormat
    metrics: bool
    flusher_process: bool = False
    """Flush in a child process at a lower priority instead of in the workers' event loops."""


def serve(options: ServeOptions) -> int:
    """Serve until SIGINT or SIGTERM; each worker then finishes its requests and flushes its
    pending work, as a single uvicorn does."""
    config = _config(options)  # a uvicorn Config sets up uvicorn's logging, in this process too
    several = options.workers > 1 or options.flusher_process
    with _metrics_directory(options.metrics and several) as metrics_dir:
        if not options.flusher_process:
            return _serve(options, config, metrics_dir)
        flusher = _FlusherProcess(options, metrics_dir)
        # The workers leave periodic flushing to it; each still flushes what is pending when it stops.
        os.environ[FLUSHER_VARIABLE] = "off"
        try:
            return _serve(options, config, metrics_dir)
        finally:
            flusher.stop()


@contextlib.contextmanager
def _metrics_directory(wanted: bool) -> Iterator[str]:
    """With several processes counting, where they keep their counts ('' when not wanted)."""
    if not wanted:
        yield ""
        return
    _remove_orphaned_metrics_directories()
    metrics_dir = tempfile.mkdtemp(prefix=f"{_METRICS_PREFIX}{os.getpid()}-")
    # Read by prometheus-client when a process imports it (and by its settings): the children
    # inherit it.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        yield metrics_dir
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _remove_orphaned_metrics_directories() -> None:
    """Remove the metrics directories of servers killed before they could (by SIGKILL): each is
    named after the pid of the server that made it, and one whose process is gone is orphaned."""
    for path in Path(tempfile.gettempdir()).glob(f"{_METRICS_PREFIX}*-*"):
        pid = path.name.removeprefix(_METRICS_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


def _serve(options: ServeOptions, config: uvicorn.Config, metrics_dir: str) -> int:
    # One worker serves in this process, unless a flusher process runs beside it: then the
    # supervisor's signal handling stops the flusher too (uvicorn's re-raises SIGTERM once it is
    # done), and the worker, spawned after the metrics directory is set, counts into it.
    if options.workers == 1 and not options.flusher_process:
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    try:
        # Bound without SO_REUSEPORT first, which fails when another server holds the port, even
        # one of these (with it, a second `serve` would quietly take half the connections).
        with _bind(options.host, options.port, reuse_port=False) as probe:
            port = probe.getsockname()[1]
        reserved = _bind(options.host, port, reuse_port=True)
    except OSError as error:
        log.error("cannot listen on %s:%d: %s", options.host, options.port, error)
        return STARTUP_FAILURE
    with reserved:
        log.info("feedback serving on %s:%d with %d workers", options.host, port, options.workers)
        return _Supervisor(options, port, metrics_dir).run()


def _config(options: ServeOptions) -> uvicorn.Config:
    spare_record_details()
    return uvicorn.Config(
        "feedback.app:create_app",
        factory=True,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        log_config=log_config(options.log_format, options.log_level),
        # The app finds the client's address behind trusted proxies itself (FEEDBACK_TRUSTED_PROXIES),
        # and no client address is written to a log: the app writes one line per request
        # (feedback/api/observe.py) instead of uvicorn's access log, which holds the address.
        proxy_headers=False,
        access_log=False,
        # No route takes a WebSocket, and uvicorn logs each WebSocket handshake with the client's address.
        ws="none",
    )


class _FlusherProcess:
    """`flush --watch`'s loop in a child process at a lower priority (nice 10: beside busy
    workers it gets about a tenth of a core, so it keeps up while the requests come first; at
    idle priority a saturated core would starve it, in the middle of a transaction too, holding
    SQLite's write lock), started again when it dies but for a clean exit (a terminal's Ctrl+C
    reaches it too), stopped with the server."""

    def __init__(self, options: ServeOptions, metrics_dir: str) -> None:
        self._options = options
        self._metrics_dir = metrics_dir
        self._spawn = multiprocessing.get_context("spawn")  # a new interpreter: safe beside threads
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process = self._start()
        threading.Thread(target=self._restart_when_dead, name="feedback-flusher-watch", daemon=True).start()

    def stop(self) -> None:
        """SIGTERM: it flushes what is pending, then exits."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process.is_alive():
            process.terminate()
        process.join()

    def _start(self) -> SpawnProcess:
        process = self._spawn.Process(
            target=_run_flusher, args=(self._options, os.getpid()), name="feedback-flusher", daemon=False
        )
        process.start()
        return process

    def _restart_when_dead(self) -> None:
        while True:
            process = self._process
            process.join()
            if process.exitcode == 0 or self._stopping.wait(_RESTART_DELAY_SECONDS):
                return
            log.warning("the flusher process %d exited with %s: starting another", process.pid, process.exitcode)
            if self._metrics_dir and process.pid is not None:
                forget_process(process.pid, self._metrics_dir)
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._start()


def _run_flusher(options: ServeOptions, parent: int) -> None:
    os.nice(_FLUSHER_NICENESS)
    # Its name in ps and top, beside the workers (every spawned process runs the same command).
    ctypes.CDLL(None).prctl(_PR_SET_NAME, b"feedback-flush", 0, 0, 0)
    _stop_with_parent(parent)
    spare_record_details()
    logging.config.dictConfig(log_config(options.log_format, options.log_level))
    tune_for_throughput()
    asyncio.run(flush_until_stopped(Settings.from_env(os.environ)))


def _bind(host: str, port: int, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _run_worker(options: ServeOptions, port: int, parent: int) -> None:
    """A worker process: uvicorn on a listening socket of its own, in the port's group."""
    _stop_with_parent(parent)
    config = _config(options)
    sock = _bind(options.host, port, reuse_port=True)
    sock.listen(config.backlog)
    uvicorn.Server(config).run(sockets=[sock])


def _stop_with_parent(parent: int) -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux's
    PR_SET_PDEATHSIG): a supervisor killed outright must not leave workers serving on its port."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent:  # it died before the request took effect: nothing to serve for
        raise SystemExit(0)


class _Supervisor:
    def __init__(self, options: ServeOptions, port: int, metrics_dir: str) -> None:
        self._options = options
        self._port = port
        self._metrics_dir = metrics_dir
        self._stopping = False
        self._spawn = multiprocessing.get_context("spawn")

    def run(self) -> int:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, self._stop)
        workers = [self._start() for _ in range(self._options.workers)]
        exit_code = 0
        while not self._stopping:
            for index, worker in enumerate(workers):
                if worker.is_alive() or self._stopping:
                    continue
                if worker.exitcode == STARTUP_FAILURE:  # the app cannot start: its log says why
                    self._stopping, exit_code = True, STARTUP_FAILURE
                    break
                log.warning("worker %d exited with %s: starting another", worker.pid, worker.exitcode)
                if self._metrics_dir and worker.pid is not None:
                    forget_process(worker.pid, self._metrics_dir)
                time.sleep(_RESTART_DELAY_SECONDS)
                workers[index] = self._start()
            time.sleep(0.2)
        for worker in workers:
            if worker.is_alive():
                # SIGTERM: finish the requests under way, flush, exit. After a terminal's Ctrl+C,
                # which reached the workers too, uvicorn takes it for the same request.
                worker.terminate()
        for worker in workers:
            worker.join()
        return exit_code

    def _start(self) -> SpawnProcess:
        worker = self._spawn.Process(
            target=_run_worker, args=(self._options, self._port, os.getpid()), name="feedback-worker"
        )
        worker.start()
        return worker

    def _stop(self, signal_number: int, frame: FrameType | None) -> None:
        self._stopping = True
