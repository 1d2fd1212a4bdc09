"""Rendering the dashboard's pages: Jinja2 templates with autoescaping on (comments, names and
titles are untrusted), in the request's language."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from feedback.dashboard.i18n import STRINGS, language
from feedback.models import User


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("feedback.dashboard", "templates"), autoescape=select_autoescape(default=True)
    )


def _date(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _iso(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat(timespec="seconds")


def render(request: Request, template: str, user: User | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(user.lang if user else None, request.headers.get("accept-language", ""))
    words = STRINGS[lang]

    def t(key: str, **values: Any) -> str:
        return words[key].format(**values)

    def decimal(value: float, digits: int = 2) -> str:
        """A number as the language writes it: 4,33 in Vietnamese, 4.33 in English."""
        text = f"{value:,.{digits}f}"
        return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text

    as_of = datetime.now(UTC).strftime("%H:%M:%S UTC")
    page = _environment().get_template(template)
    html = page.render(t=t, decimal=decimal, date=_date, iso=_iso, lang=lang, user=user, as_of=as_of, **context)
    return HTMLResponse(html, status_code=status_code)
