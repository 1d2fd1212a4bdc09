"""`python -m feedback comments list|approve|reject|spam|delete`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any, get_args

from feedback import json, validation
from feedback.cli.arguments import checked, positive_int
from feedback.errors import UnknownSite
from feedback.models import Comment, CommentStatus
from feedback.services.moderation import ModerationAction
from feedback.services.wiring import standalone_moderation
from feedback.settings import Settings

_MODERATION_ACTIONS: dict[ModerationAction, str] = {
    "approve": "show comments on the site",
    "reject": "hide comments from the site",
    "spam": "hide comments as spam",
    "delete": "delete comments for good",
}


def add_commands(commands: Any) -> None:
    comments = commands.add_parser(
        "comments",
        help="read and moderate comments",
        description="Read and moderate readers' comments. Comments reach the archive from Redis within "
        "FEEDBACK_FLUSH_SECONDS, and are listed and decided on while they wait there too; a decision shows on the site "
        "at once, in articles' counts after the next flush.",
    )
    comment_commands = comments.add_subparsers(title="comments commands", required=True, metavar="COMMAND")
    comment_list = comment_commands.add_parser(
        "list", help="list a site's comments, newest first", description="List a site's comments, newest first."
    )
    comment_list.add_argument("site", type=checked(validation.site_id), help="site id")
    comment_list.add_argument("--status", choices=get_args(CommentStatus), help="only comments of this status")
    comment_list.add_argument("--article", type=checked(validation.article_id), help="only comments on this article")
    comment_list.add_argument("--limit", type=positive_int, default=50, help="at most this many comments (50)")
    comment_list.add_argument(
        "--before", type=checked(validation.comment_id), metavar="ID", help="only comments older than this one"
    )
    comment_list.add_argument("--json", action="store_true", help="print a JSON array instead of lines")
    comment_list.set_defaults(command=_comments_list)
    for action, summary in _MODERATION_ACTIONS.items():
        moderate = comment_commands.add_parser(action, help=summary, description=f"{summary[0].upper()}{summary[1:]}.")
        moderate.add_argument(
            "ids", nargs="+", type=checked(validation.comment_id), metavar="ID", help="comment id (repeatable)"
        )
        moderate.set_defaults(command=_comments_moderate, action=action)


async def _comments_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async with standalone_moderation(settings) as moderation:
        try:
            comments = await moderation.comments(
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
    async with standalone_moderation(settings) as moderation:
        found = await moderation.decide(arguments.action, ids)
    missing = [comment_id for comment_id in ids if comment_id not in found]
    print(f"{arguments.action}: {len(found)} comment{'' if len(found) == 1 else 's'}")
    for comment_id in missing:
        print(f"error: no comment {comment_id}", file=sys.stderr)
    return 1 if missing else 0
