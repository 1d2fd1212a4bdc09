"""The command line: `python -m feedback serve|flush`, `site add|list`,
`comments list|approve|reject|spam|delete`, `user add|list|remove|password`, `seed`,
`backup`, `restore`."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence

from feedback.cli import backups, comments, running, seed, sites, users
from feedback.errors import FeedbackError, InvalidInput
from feedback.hot import REDIS_UNAVAILABLE
from feedback.settings import Settings, SettingsError, redacted_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        parser.error(str(error))
    try:
        outcome = arguments.command(arguments, settings)
        exit_code: int = asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome
    except REDIS_UNAVAILABLE as error:
        print(f"error: Redis at {redacted_url(settings.redis_url)} is unreachable: {error}", file=sys.stderr)
        return 1
    except InvalidInput as error:  # a value argparse could not check, such as a password typed in
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except FeedbackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m feedback",
        description="Manage a feedback server. Configuration comes from the environment (see README).",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for group in (running, sites, comments, users, seed, backups):
        group.add_commands(commands)
    return parser
