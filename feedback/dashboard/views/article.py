"""One article: its distribution, its daily trend, the vote-change history, its comments."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import site_view
from feedback.dashboard.charts import trend_chart
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput
from feedback.local_days import local_day
from feedback.services import Services


@site_view
async def article(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    found = await services.sites.get(site)
    assert found is not None  # site_view found it
    try:
        article_id = validation.article_id(request.path_params["article"])
        before_text = request.query_params.get("before", "")
        before_ms = int(before_text) if before_text.isascii() and before_text.isdigit() else time.time_ns() // 10**6
    except InvalidInput:
        return render(request, "error.html", user, status_code=404, message="not_found")
    report = await services.article_reports.report(found, article_id, local_day(found.time_zone, before_ms), before_ms)
    if not (report.about or report.days or report.changes or report.comments):
        return render(request, "error.html", user, status_code=404, message="not_found")
    helpful = found.scale == "helpful"
    chart = trend_chart(report.days, helpful)
    return render(
        request, "article.html", user, csrf_token=session.csrf_token, site=site, report=report, chart=chart,
        helpful=helpful,
    )  # fmt: skip
