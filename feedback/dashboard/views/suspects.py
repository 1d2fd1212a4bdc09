"""The review of a site's suspect votes (past the readers-per-address cap): listed by article
and day with their address clusters, accepted or discarded by editors."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import PATH, decision_form, page_number, site_view
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput
from feedback.local_days import date_of
from feedback.services import Services
from feedback.services.suspects import SuspectDecision

PER_PAGE = 50


@site_view
async def review(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    query = request.query_params
    page = page_number(request)
    listing = await services.suspects.page(site, page, PER_PAGE)
    decision = query.get("decision")
    return render(
        request,
        "suspects.html",
        user,
        csrf_token=session.csrf_token,
        site=site,
        listing=listing,
        date_of=date_of,
        page=page,
        pages=max(1, -(-listing.total_groups // PER_PAGE)),
        may_decide=user.may_moderate(site),
        decision=decision if decision in get_args(SuspectDecision) else None,
        decided=query.get("decided") if query.get("decided", "").isdigit() else None,
    )


@site_view
async def decide(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    form = await decision_form(request, session, site)
    if form is None:
        return render(request, "error.html", user, status_code=403, message="forbidden")
    decision = form.get("decision")
    if decision not in get_args(SuspectDecision):
        return render(request, "error.html", user, status_code=422, message="forbidden")
    try:
        groups = [validation.suspect_group(value) for value in form.getlist("group")]
        clusters = [validation.cluster_label(value) for value in form.getlist("cluster")]
    except InvalidInput:
        return render(request, "error.html", user, status_code=422, message="forbidden")
    # Of this site only: the service decides on the votes of the site in the path.
    decided = await services.suspects.decide(site, decision, groups, clusters, actor=user.email)  # type: ignore[arg-type]
    return RedirectResponse(f"{PATH}/sites/{site}/suspects?decision={decision}&decided={decided}", status_code=303)
