"""`python -m feedback seed`: an archive of made-up votes and comments, to measure the
dashboard on (docs/performance.md)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from feedback import validation
from feedback.archive import Archive
from feedback.cli.arguments import checked, positive_int
from feedback.services.seeding import Seeder, SeedPlan
from feedback.settings import Settings

_MAX_DAYS = 3650


def add_commands(commands: Any) -> None:
    seed = commands.add_parser(
        "seed",
        help="fill the archive with made-up votes and comments (for measuring)",
        description="Write made-up vote events and comments into the SQLite archive (FEEDBACK_DB) through the "
        "flusher's own statements, so that every aggregate is as a real flush leaves it: articles with titles "
        "(some Vietnamese) drawing votes as unevenly as news does, readers changing or withdrawing some, "
        "comments in every status, over the last days. The site is created when missing. Meant for a site of "
        "its own: its articles are marked for Redis to drop, as after an outage.",
    )
    seed.add_argument("--events", type=positive_int, required=True, help="vote events to write")
    seed.add_argument("--articles", type=positive_int, required=True, help="articles they spread over")
    seed.add_argument("--site", type=checked(validation.site_id), default="seed", help="the site (seed)")
    seed.add_argument("--days", type=_days, default=90, help="the days before now they spread over (90, at most 3650)")
    seed.add_argument("--comments", type=_count, help="comments to write (default: one per 50 events)")
    seed.set_defaults(command=_seed)


def _days(value: str) -> int:
    days = positive_int(value)
    if days > _MAX_DAYS:
        raise argparse.ArgumentTypeError(f"at most {_MAX_DAYS} days, got {value!r}")
    return days


def _count(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number of at least 0, got {value!r}")
    return int(value)


async def _seed(arguments: argparse.Namespace, settings: Settings) -> int:
    comments = arguments.events // 50 if arguments.comments is None else arguments.comments
    plan = SeedPlan(arguments.site, arguments.events, arguments.articles, arguments.days, comments)
    started = time.monotonic()

    shown = sys.stderr.isatty()  # a line redrawn in place: in a log it would only pile up

    def progress(written: int) -> None:
        if shown:
            print(f"\r{written:,} of {plan.events:,} events", end="", file=sys.stderr, flush=True)

    async with await Archive.open(settings.database_path) as archive:
        await Seeder(archive).seed(plan, time.time_ns() // 1_000_000, progress)
    if shown:
        print(file=sys.stderr)
    print(
        f"seeded site {plan.site}: {plan.events:,} vote events over {plan.articles:,} articles and "
        f"{plan.comments:,} comments in {time.monotonic() - started:.1f} s"
    )
    return 0
