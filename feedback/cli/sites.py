"""`python -m feedback site add|list`."""

from __future__ import annotations

import argparse
import sys
from typing import Any, get_args

from feedback import validation
from feedback.archive import Archive
from feedback.cli.arguments import checked
from feedback.errors import NewSiteNeedsOrigins
from feedback.local_days import DEFAULT_TIME_ZONE
from feedback.models import Moderation, Scale, Site
from feedback.services.sites import SiteAdmin, SiteChanges
from feedback.settings import Settings


def add_commands(commands: Any) -> None:
    site = commands.add_parser("site", help="manage sites (publications)", description="Manage sites (publications).")
    site_commands = site.add_subparsers(title="site commands", required=True, metavar="COMMAND")
    add = site_commands.add_parser(
        "add",
        help="create a site or change its settings",
        description="Create a site, or change the settings of an existing one: the options given replace "
        "their current values, the others stay as they are.",
    )
    add.add_argument("site", type=checked(validation.site_id), help="site id: 1-64 characters of a-z, 0-9 and '-'")
    add.add_argument(
        "--origin",
        dest="origins",
        action="append",
        type=checked(validation.origin),
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
    add.add_argument(
        "--time-zone",
        type=checked(validation.time_zone),
        metavar="ZONE",
        help=f"the IANA time zone the site's days and times are in (default for a new site: {DEFAULT_TIME_ZONE})",
    )
    blocked = add.add_mutually_exclusive_group()
    blocked.add_argument(
        "--blocked-word",
        dest="blocked_words",
        action="append",
        type=checked(validation.blocked_word),
        metavar="WORD",
        help="a word or phrase that sends a comment holding it to spam, ignoring case (repeatable)",
    )
    blocked.add_argument("--no-blocked-words", action="store_true", help="clear the list of blocked words")
    add.set_defaults(command=_site_add)
    listing = site_commands.add_parser(
        "list",
        help="list sites",
        description="List sites, one per line: id, origins, moderation, blocked words, scale, time zone "
        "(tab-separated).",
    )
    listing.set_defaults(command=_site_list)


async def _site_add(arguments: argparse.Namespace, settings: Settings) -> int:
    blocked_words = arguments.blocked_words or ([] if arguments.no_blocked_words else None)
    changes = SiteChanges(
        origins=arguments.origins,
        moderation=arguments.moderation,
        blocked_words=blocked_words,
        scale=arguments.scale,
        time_zone=arguments.time_zone,
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
    fields = (
        site.id,
        " ".join(site.origins),
        site.moderation,
        ", ".join(site.blocked_words),
        site.scale,
        site.time_zone,
    )
    return "\t".join(fields)
