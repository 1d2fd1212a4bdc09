"""The command line: `python -m feedback site add|list`, `python -m feedback flush`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from feedback import validation
from feedback.archive import Archive
from feedback.errors import ApiError
from feedback.flusher import Flusher, run_periodically
from feedback.models import Site
from feedback.settings import Settings, SettingsError
from feedback.store import REDIS_UNAVAILABLE, Store, connect


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        parser.error(str(error))
    try:
        exit_code: int = asyncio.run(arguments.command(arguments, settings))
    except REDIS_UNAVAILABLE as error:
        print(f"error: Redis at {settings.redis_url} is unreachable: {error}", file=sys.stderr)
        return 1
    return exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m feedback",
        description="Manage a feedback server. Configuration comes from the environment (see README).",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    site = commands.add_parser("site", help="manage sites (publications)", description="Manage sites (publications).")
    site_commands = site.add_subparsers(title="site commands", required=True, metavar="COMMAND")
    add = site_commands.add_parser(
        "add",
        help="create a site or update its origins",
        description="Create a site, or replace the allowed origins of an existing one.",
    )
    add.add_argument("site", type=_site_id, help="site id: 1-64 characters of a-z, 0-9 and '-'")
    add.add_argument(
        "--origin",
        dest="origins",
        action="append",
        required=True,
        type=_origin,
        metavar="URL",
        help="an origin allowed to call the API from a browser, e.g. https://news.example.vn (repeatable)",
    )
    add.set_defaults(command=_site_add)
    listing = site_commands.add_parser("list", help="list sites and their origins", description="List sites.")
    listing.set_defaults(command=_site_list)

    flush = commands.add_parser(
        "flush",
        help="move pending votes from Redis into SQLite",
        description="Flush every pending vote from Redis into SQLite, then exit (or keep flushing with --watch).",
    )
    flush.add_argument("--watch", action="store_true", help="keep flushing every FEEDBACK_FLUSH_SECONDS until stopped")
    flush.set_defaults(command=_flush)
    return parser


def _site_id(value: str) -> str:
    try:
        return validation.site_id(value)
    except ApiError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _origin(value: str) -> str:
    try:
        return validation.origin(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


async def _site_add(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        await archive.save_site(Site(arguments.site, tuple(dict.fromkeys(arguments.origins))))
    print(f"site {arguments.site}: {' '.join(dict.fromkeys(arguments.origins))}")
    return 0


async def _site_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        for site in await archive.sites():
            print(f"{site.id}\t{' '.join(site.origins)}")
    return 0


async def _flush(arguments: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        print("REDIS_URL is empty: there is nothing to flush", file=sys.stderr)
        return 0
    redis = connect(settings.redis_url)
    try:
        async with await Archive.open(settings.database_path) as archive:
            flusher = Flusher(
                Store(redis, settings.redis_shards),
                archive,
                settings.flush_lease_seconds,
                settings.idle_article_seconds,
            )
            if arguments.watch:
                stop = asyncio.Event()
                for stop_signal in (signal.SIGINT, signal.SIGTERM):
                    asyncio.get_running_loop().add_signal_handler(stop_signal, stop.set)
                await run_periodically(flusher, settings.flush_seconds, stop)
            applied = await flusher.flush_all(wait_seconds=settings.flush_lease_seconds + 1)
    finally:
        await redis.aclose()
    if applied is None:
        print("another flusher holds the lease and did not release it in time", file=sys.stderr)
        return 1
    print(f"flushed {applied} vote events")
    return 0
