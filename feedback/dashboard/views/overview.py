"""The overview: each site the user may read, at a glance."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from feedback.archive.sessions import Session
from feedback.dashboard.auth import signed_in
from feedback.dashboard.templating import render
from feedback.services import Services


@signed_in
async def overview(request: Request, services: Services, session: Session) -> Response:
    user = session.user
    sites = [site for site in await services.site_admin.all() if user.may_read(site.id)]
    figures = [await services.reports.figures(site.id) for site in sites]
    return render(request, "overview.html", user, csrf_token=session.csrf_token, figures=figures)
