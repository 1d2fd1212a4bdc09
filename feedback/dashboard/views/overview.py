"""The overview: each site the user may read at a glance, and one of them over a run of days
(today, 7 or 30 days, or a custom range) in its time zone."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback.archive.sessions import Session
from feedback.dashboard.auth import signed_in
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput
from feedback.models import Site
from feedback.services import Services
from feedback.services.overview import Overview, Period, between, last_days

RANGES = {"today": 1, "7d": 7, "30d": 30}


@signed_in
async def overview(request: Request, services: Services, session: Session) -> Response:
    user = session.user
    sites = [site for site in await services.site_admin.all() if user.may_read(site.id)]
    figures = [await services.reports.figures(site.id) for site in sites]
    query = request.query_params
    chosen = next((site for site in sites if site.id == query.get("site")), sites[0] if sites else None)
    context: dict[str, Any] = {"figures": figures, "sites": sites, "chosen": chosen, "ranges": list(RANGES)}
    if chosen is None:
        return render(request, "overview.html", user, csrf_token=session.csrf_token, **context)
    request.state.time_zone = chosen.time_zone
    range_name = query.get("range", "7d")
    try:
        period = _period(chosen, range_name, query.get("from", ""), query.get("to", ""))
    except InvalidInput as error:
        context.update(range_name="custom", error=error.message, period=None, view=None)
        return render(request, "overview.html", user, status_code=422, csrf_token=session.csrf_token, **context)
    view = await services.overview.overview(chosen, period)
    context.update(range_name=range_name if range_name in RANGES else "custom", period=period, view=view)
    return render(request, "overview.html", user, csrf_token=session.csrf_token, chart=_chart(view), **context)


def _period(site: Site, range_name: str, first: str, last: str) -> Period:
    if range_name in RANGES:
        return last_days(site, RANGES[range_name], time.time_ns() // 1_000_000)
    try:
        return between(date.fromisoformat(first), date.fromisoformat(last))
    except ValueError:
        raise InvalidInput("invalid_date", "Give both days of a range as YYYY-MM-DD.") from None


def _chart(view: Overview) -> dict[str, Any]:
    """What static/charts.js draws: each day's votes and their average (or share found helpful)."""
    helpful = view.site.scale == "helpful"
    return {
        "days": [day.day.isoformat() for day in view.days],
        "votes": [day.votes for day in view.days],
        "average": [_shown_average(day.average, helpful) for day in view.days],
        "helpful": helpful,
    }


def _shown_average(average: float | None, helpful: bool) -> float | None:
    if average is None:
        return None
    # A helpful-scale vote is 5 (yes) or 1 (no): the average tells the share of yeses.
    return round((average - 1) / 4 * 100, 1) if helpful else round(average, 2)
