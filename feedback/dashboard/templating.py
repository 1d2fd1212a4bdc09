"""Rendering the dashboard's pages: Jinja2 templates with autoescaping on (comments, names and
titles are untrusted), in the request's language."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from datetime import date as _date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from feedback.dashboard.i18n import STRINGS, language
from feedback.local_days import local_time
from feedback.models import User


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("feedback.dashboard", "templates"), autoescape=select_autoescape(default=True)
    )


def _iso(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds")


def _zone_label(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"GMT{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "") if minutes else "UTC"


def render(request: Request, template: str, user: User | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(user.lang if user else None, request.headers.get("accept-language", ""))
    words = STRINGS[lang]

    def t(key: str, **values: Any) -> str:
        return words[key].format(**values)

    def decimal(value: float, digits: int = 2) -> str:
        """A number as the language writes it: 4,33 in Vietnamese, 4.33 in English."""
        text = f"{value:,.{digits}f}"
        return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text

    # Times are shown in the time zone of the site a page is about (set by `auth.site_view`).
    zone = getattr(request.state, "time_zone", "UTC")

    def date(milliseconds: int) -> str:
        moment = local_time(zone, milliseconds)
        shown = moment.strftime("%d/%m/%Y %H:%M" if lang == "vi" else "%Y-%m-%d %H:%M")
        return f"{shown} ({_zone_label(moment)})"

    def day(value: datetime | _date) -> str:
        return value.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")

    now = local_time(zone, time.time_ns() // 1_000_000)
    as_of = f"{now:%H:%M:%S} ({_zone_label(now)})"
    page = _environment().get_template(template)
    html = page.render(t=t, decimal=decimal, date=date, day=day, iso=_iso, lang=lang, user=user, as_of=as_of, **context)
    return HTMLResponse(html, status_code=status_code)
