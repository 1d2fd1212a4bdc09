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
from feedback.dashboard.charts import trend_chart
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput
from feedback.models import Site
from feedback.services import Services
from feedback.services.overview import Period, between, last_days

RANGES = {"today": 1, "7d": 7, "30d": 30}


@signed_in
async def overview(request: Request, services: Services, session: Session) -> Response:
    user = session.user
    sites = [site for site in await services.site_admin.all() if user.may_read(site.id)]
    figures = [await services.reports.figures(site.id) for site in sites]
    # Comments still in Redis wait too: the same count as the moderation desk's.
    waiting = {site.id: await services.moderation.waiting(site.id) for site in sites}
    suspects = {site.id: await services.suspects.awaiting(site.id) for site in sites}
    query = request.query_params
    chosen = next((site for site in sites if site.id == query.get("site")), sites[0] if sites else None)
    context: dict[str, Any] = {
        "figures": figures,
        "waiting": waiting,
        "suspects": suspects,
        "sites": sites,
        "chosen": chosen,
        "ranges": list(RANGES),
    }
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
    return render(
        request,
        "overview.html",
        user,
        csrf_token=session.csrf_token,
        chart=trend_chart(view.days, view.site.scale == "helpful"),
        **context,
    )


def _period(site: Site, range_name: str, first: str, last: str) -> Period:
    if range_name in RANGES:
        return last_days(site, RANGES[range_name], time.time_ns() // 1_000_000)
    try:
        return between(date.fromisoformat(first), date.fromisoformat(last))
    except ValueError:
        raise InvalidInput("invalid_date", "Give both days of a range as YYYY-MM-DD.") from None
