"""`python -m feedback user add|list|remove|password`: who may log into the dashboard."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, get_args

from feedback import validation
from feedback.archive import Archive
from feedback.cli.arguments import checked
from feedback.errors import InvalidInput
from feedback.models import Language, Role, User
from feedback.services.accounts import Accounts
from feedback.settings import Settings

_ACTOR = "cli"


def add_commands(commands: Any) -> None:
    user = commands.add_parser(
        "user", help="manage dashboard users", description="Manage who may log into the editors' dashboard."
    )
    user_commands = user.add_subparsers(title="user commands", required=True, metavar="COMMAND")
    add = user_commands.add_parser(
        "add",
        help="add a user",
        description="Add a dashboard user. The password is asked for (twice) unless --password-stdin is given.",
    )
    add.add_argument("email", type=checked(validation.email), help="the user's e-mail address, which they log in with")
    add.add_argument(
        "--role",
        choices=get_args(Role),
        required=True,
        help="admin: every site, users and settings; editor: read and moderate the sites given; viewer: read them",
    )
    add.add_argument(
        "--site",
        dest="sites",
        action="append",
        default=[],
        type=checked(validation.site_id),
        metavar="SITE",
        help="a site an editor or viewer is given (repeatable)",
    )
    add.add_argument("--lang", choices=get_args(Language), help="the dashboard's language (default: the browser's)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.set_defaults(command=_user_add)
    listing = user_commands.add_parser(
        "list",
        help="list users",
        description="List users, one per line: e-mail, role, sites, language (tab-separated).",
    )
    listing.set_defaults(command=_user_list)
    remove = user_commands.add_parser("remove", help="remove a user", description="Remove a user; their sessions end.")
    remove.add_argument("email", type=checked(validation.email), help="the user's e-mail address")
    remove.set_defaults(command=_user_remove)
    password = user_commands.add_parser(
        "password", help="set a user's password", description="Set a user's password; their sessions end."
    )
    password.add_argument("email", type=checked(validation.email), help="the user's e-mail address")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    password.set_defaults(command=_user_password)


def _new_password(arguments: argparse.Namespace) -> str:
    """The password from stdin or asked for twice; raises InvalidInput."""
    if arguments.password_stdin:
        return validation.password(sys.stdin.readline().rstrip("\r\n"))
    first = validation.password(getpass.getpass("Password: "))
    if getpass.getpass("Password again: ") != first:
        raise InvalidInput("invalid_password", "The two passwords differ.")
    return first


async def _user_add(arguments: argparse.Namespace, settings: Settings) -> int:
    password = _new_password(arguments)
    async with await Archive.open(settings.database_path) as archive:
        user = await Accounts(archive).add(
            arguments.email, password, arguments.role, arguments.sites, arguments.lang, _ACTOR
        )
    print(_user_line(user))
    return 0


async def _user_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        for user in await Accounts(archive).users():
            print(_user_line(user))
    return 0


async def _user_remove(arguments: argparse.Namespace, settings: Settings) -> int:
    async with await Archive.open(settings.database_path) as archive:
        removed = await Accounts(archive).remove(arguments.email, _ACTOR)
    if not removed:
        print(f"error: there is no user {arguments.email}", file=sys.stderr)
        return 1
    print(f"removed {arguments.email}")
    return 0


async def _user_password(arguments: argparse.Namespace, settings: Settings) -> int:
    password = _new_password(arguments)
    async with await Archive.open(settings.database_path) as archive:
        changed = await Accounts(archive).set_password(arguments.email, password, _ACTOR)
    if not changed:
        print(f"error: there is no user {arguments.email}", file=sys.stderr)
        return 1
    print(f"password changed for {arguments.email}; their sessions ended")
    return 0


def _user_line(user: User) -> str:
    sites = "*" if user.role == "admin" else " ".join(user.sites)
    return f"{user.email}\t{user.role}\t{sites}\t{user.lang or '-'}"
