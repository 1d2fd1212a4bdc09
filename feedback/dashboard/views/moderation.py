"""The moderation desk of a site: its comments by status, and the editors' decisions on them."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import PATH, decision_form, site_view
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput
from feedback.models import CommentStatus
from feedback.services import Services
from feedback.services.moderation import ModerationAction

_PAGE = 100


@site_view
async def desk(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    status = request.query_params.get("status", "pending")
    if status not in get_args(CommentStatus):
        status = "pending"
    comments = await services.moderation.comments(site, status, None, None, _PAGE)  # type: ignore[arg-type]
    return render(
        request,
        "moderation.html",
        user,
        csrf_token=session.csrf_token,
        site=site,
        status=status,
        statuses=get_args(CommentStatus),
        comments=comments,
        may_moderate=user.may_moderate(site),
        decided=request.query_params.get("decided"),
        waiting=await services.moderation.waiting(site),
    )


@site_view
async def moderate(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    form = await decision_form(request, session, site)
    if form is None:
        return render(request, "error.html", user, status_code=403, message="forbidden")
    action = form.get("action")
    if action not in get_args(ModerationAction):
        return render(request, "error.html", user, status_code=422, message="forbidden")
    try:
        ids = [validation.comment_id(value) for value in form.getlist("comment")]
    except InvalidInput:
        return render(request, "error.html", user, status_code=422, message="forbidden")
    # Of this site only: an editor of one site must not decide on another's comments.
    found = await services.moderation.decide(action, ids, actor=user.email, site=site)  # type: ignore[arg-type]
    back = request.query_params.get("status", "pending")
    return RedirectResponse(f"{PATH}/sites/{site}/moderation?status={back}&decided={len(found)}", status_code=303)
