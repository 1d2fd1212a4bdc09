"""The command line: `python -m feedback serve`, `site add|list`,
`comments list|approve|reject|spam|delete`, `flush`."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TypeVar, get_args

from feedback import json, validation
from feedback.archive import Archive
from feedback.errors import NewSiteNeedsOrigins, UnknownSite
from feedback.hot import REDIS_UNAVAILABLE
from feedback.models import Comment, CommentStatus, Moderation, Scale, Site
from feedback.serve import ServeOptions, serve
from feedback.services import standalone_flusher
from feedback.services.flusher import run_periodically
from feedback.services.moderation import CommentModeration, ModerationAction
from feedback.services.sites import SiteAdmin, SiteChanges
from feedback.settings import Settings, SettingsError


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
        print(f"error: Redis at {settings.redis_url} is unreachable: {error}", file=sys.stderr)
        return 1
    return exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m feedback",
        description="Manage a feedback server. Configuration comes from the environment (see README).",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serving = commands.add_parser(
        "serve",
        help="serve the API (and the demo page) over HTTP",
        description="Serve the API with uvicorn. With --workers N, N processes each listen on a socket of "
        "their own (SO_REUSEPORT), so that connections spread evenly over them. SIGINT or SIGTERM stops "
        "them gracefully. Client addresses are never logged; X-Forwarded-For is believed only from "
        "FEEDBACK_TRUSTED_PROXIES.",
    )
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serving.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    serving.add_argument("--workers", type=_positive_int, default=1, help="worker processes, one per core (1)")
    serving.add_argument(
        "--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info", help="(info)"
    )
    serving.set_defaults(command=_serve)

    site = commands.add_parser("site", help="manage sites (publications)", description="Manage sites (publications).")
    site_commands = site.add_subparsers(title="site commands", required=True, metavar="COMMAND")
    add = site_commands.add_parser(
        "add",
        help="create a site or change its settings",
        description="Create a site, or change the settings of an existing one: the options given replace "
        "their current values, the others stay as they are.",
    )
    add.add_argument("site", type=_checked(validation.site_id), help="site id: 1-64 characters of a-z, 0-9 and '-'")
    add.add_argument(
        "--origin",
        dest="origins",
        action="append",
        type=_checked(validation.origin),
        metavar="URL",
        help="an origin allowed to call the API from a browser, e.g. https://news.example.vn (repeatable; "
        "required for a new site)",
    )
    add.add_argument(
        "--moderation",
        choices=get_args(Moderation),
        help="pre: a comment shows once an editor approves it (the default); post: at once, removable later",
    )
    add.add_argument(
        "--scale",
        choices=get_args(Scale),
        help="stars: readers give 1-5 stars (the default); helpful: 'Was this article helpful?' yes or no",
    )
    blocked = add.add_mutually_exclusive_group()
    blocked.add_argument(
        "--blocked-word",
        dest="blocked_words",
        action="append",
        type=_checked(validation.blocked_word),
        metavar="WORD",
        help="a word or phrase that sends a comment holding it to spam, ignoring case (repeatable)",
    )
    blocked.add_argument("--no-blocked-words", action="store_true", help="clear the list of blocked words")
    add.set_defaults(command=_site_add)
    listing = site_commands.add_parser(
        "list",
        help="list sites",
        description="List sites, one per line: id, origins, moderation, blocked words, scale (tab-separated).",
    )
    listing.set_defaults(command=_site_list)

    comments = commands.add_parser(
        "comments",
        help="read and moderate comments",
        description="Read and moderate readers' comments. Comments reach the archive from Redis within "
        "FEEDBACK_FLUSH_SECONDS; a decision shows on the site at once, in articles' counts after the next flush.",
    )
    comment_commands = comments.add_subparsers(title="comments commands", required=True, metavar="COMMAND")
    comment_list = comment_commands.add_parser(
        "list", help="list a site's comments, newest first", description="List a site's comments, newest first."
    )
    comment_list.add_argument("site", type=_checked(validation.site_id), help="site id")
    comment_list.add_argument("--status", choices=get_args(CommentStatus), help="only comments of this status")
    comment_list.add_argument("--article", type=_checked(validation.article_id), help="only comments on this article")
    comment_list.add_argument("--limit", type=_positive_int, default=50, help="at most this many comments (50)")
    comment_list.add_argument(
        "--before", type=_checked(validation.comment_id), metavar="ID", help="only comments older than this one"
    )
    comment_list.add_argument("--json", action="store_true", help="print a JSON array instead of lines")
    comment_list.set_defaults(command=_comments_list)
    for action, summary in _MODERATION_ACTIONS.items():
        moderate = comment_commands.add_parser(action, help=summary, description=f"{summary[0].upper()}{summary[1:]}.")
        moderate.add_argument(
            "ids", nargs="+", type=_checked(validation.comment_id), metavar="ID", help="comment id (repeatable)"
        )
        moderate.set_defaults(command=_comments_moderate, action=action)

    flush = commands.add_parser(
        "flush",
        help="move pending votes from Redis into SQLite",
        description="Flush every pending vote from Redis into SQLite, then exit (or keep flushing with --watch).",
    )
    flush.add_argument("--watch", action="store_true", help="keep flushing every FEEDBACK_FLUSH_SECONDS until stopped")
    flush.set_defaults(command=_flush)
    return parser


T = TypeVar("T")

_MODERATION_ACTIONS: dict[ModerationAction, str] = {
    "approve": "show comments on the site",
    "reject": "hide comments from the site",
    "spam": "hide comments as spam",
    "delete": "delete comments for good",
}


def _checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a validation function: its error becomes argparse's message."""

    def parse(value: str) -> T:
        try:
            return check(value)
        except ValueError as error:  # InvalidInput is one too
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _positive_int(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, got {value!r}")
    return int(value)


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value!r}")
    return int(value)


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    return serve(ServeOptions(arguments.host, arguments.port, arguments.workers, arguments.log_level))


async def _site_add(arguments: argparse.Namespace, settings: Settings) -> int:
    blocked_words = arguments.blocked_words or ([] if arguments.no_blocked_words else None)
    changes = SiteChanges(
        origins=arguments.origins,
        moderation=arguments.moderation,
        blocked_words=blocked_words,
        scale=arguments.scale,
    )
    async with await Archive.open(settings.database_path) as archive:
        try:
            site = await SiteAdmin(archive).save(arguments.site, changes)
        except NewSiteNeedsOrigins:
            print(f"error: site {arguments.site} is new: give at least one --origin", file=sys.stderr)
            return 2
    print(_site_line(site))
    return 0


async def _site_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        for site in await SiteAdmin(archive).all():
            print(_site_line(site))
    return 0


def _site_line(site: Site) -> str:
    return f"{site.id}\t{' '.join(site.origins)}\t{site.moderation}\t{', '.join(site.blocked_words)}\t{site.scale}"


async def _comments_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        try:
            comments = await CommentModeration(archive).comments(
                arguments.site, arguments.status, arguments.article, arguments.before, arguments.limit
            )
        except UnknownSite:
            print(
                f"error: there is no site {arguments.site} in {settings.database_path} (FEEDBACK_DB)", file=sys.stderr
            )
            return 1
    if arguments.json:
        print(json.dumps([_comment_fields(comment) for comment in comments]).decode())
        return 0
    for comment in comments:
        # One comment per line: its line breaks are shown as the two characters \n.
        body = comment.body.replace("\\", "\\\\").replace("\n", "\\n")
        author = comment.author or "-"
        print("\t".join([comment.id, comment.status, comment.created_at, comment.article, author, body]))
    return 0


def _comment_fields(comment: Comment) -> dict[str, object]:
    fields = asdict(comment)
    del fields["created_at_ms"]
    return fields | {"created_at": comment.created_at}


async def _comments_moderate(arguments: argparse.Namespace, settings: Settings) -> int:
    ids = list(dict.fromkeys(arguments.ids))
    async with await Archive.open(settings.database_path) as archive:
        found = await CommentModeration(archive).decide(arguments.action, ids)
    missing = [comment_id for comment_id in ids if comment_id not in found]
    print(f"{arguments.action}: {len(found)} comment{'' if len(found) == 1 else 's'}")
    for comment_id in missing:
        print(f"error: no comment {comment_id} in the archive (a new one may still wait in Redis)", file=sys.stderr)
    return 1 if missing else 0


async def _flush(arguments: argparse.Namespace, settings: Settings) -> int:
    if not settings.redis_url:
        print("REDIS_URL is empty: there is nothing to flush", file=sys.stderr)
        return 0
    async with standalone_flusher(settings) as flusher:
        if arguments.watch:
            stop = asyncio.Event()
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(stop_signal, stop.set)
            await run_periodically(flusher, settings.flush_seconds, stop)
        applied = await flusher.flush_all(wait_seconds=settings.flush_lease_seconds + 1)
    if applied is None:
        print("another flusher holds the lease and did not release it in time", file=sys.stderr)
        return 1
    print(f"flushed {applied} event{'' if applied == 1 else 's'} (votes and comments)")
    return 0
