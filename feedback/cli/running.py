"""`python -m feedback serve` and `flush`: running the server, and a flusher of its own."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from feedback.cli.arguments import port, positive_int
from feedback.collector import tune_for_throughput
from feedback.serve import ServeOptions, serve
from feedback.services import flush_until_stopped, standalone_flusher
from feedback.services.wiring import refuse_after_unfinished_restore
from feedback.settings import Settings


def add_commands(commands: Any) -> None:
    serving = commands.add_parser(
        "serve",
        help="serve the API (and the demo page) over HTTP",
        description="Serve the API with uvicorn. With --workers N, N processes each listen on a socket of "
        "their own (SO_REUSEPORT), so that connections spread evenly over them. SIGINT or SIGTERM stops "
        "them gracefully. Client addresses are never logged; X-Forwarded-For is believed only from "
        "FEEDBACK_TRUSTED_PROXIES.",
    )
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serving.add_argument("--port", type=port, default=8000, help="port to listen on (8000)")
    serving.add_argument("--workers", type=positive_int, default=1, help="worker processes, one per core (1)")
    serving.add_argument(
        "--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info", help="(info)"
    )
    serving.set_defaults(command=_serve)

    flush = commands.add_parser(
        "flush",
        help="move pending votes from Redis into SQLite",
        description="Flush every pending vote from Redis into SQLite, then exit (or keep flushing with --watch).",
    )
    flush.add_argument("--watch", action="store_true", help="keep flushing every FEEDBACK_FLUSH_SECONDS until stopped")
    flush.set_defaults(command=_flush)


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    refuse_after_unfinished_restore(settings)  # here too, for a message rather than a traceback
    options = ServeOptions(
        arguments.host,
        arguments.port,
        arguments.workers,
        arguments.log_level,
        log_format=settings.log_format,
        metrics=settings.metrics,
        flusher_process=settings.flusher_in_server and bool(settings.redis_url),
    )
    return serve(options)


async def _flush(arguments: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        print("REDIS_URL is empty: there is nothing to flush", file=sys.stderr)
        return 0
    tune_for_throughput()
    if arguments.watch:
        applied = await flush_until_stopped(settings)
    else:
        async with standalone_flusher(settings) as flusher:
            applied = await flusher.flush_all(wait_seconds=settings.flush_lease_seconds + 1)
    if applied is None:
        print("another flusher holds the lease and did not release it in time", file=sys.stderr)
        return 1
    print(f"flushed {applied} event{'' if applied == 1 else 's'} (votes and comments)")
    return 0
