"""A site's settings: shown to whoever may read the site, with the snippet to paste into its
pages; changed by admins (as `python -m feedback site add` does)."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import PATH, csrf_matches, site_view
from feedback.dashboard.templating import render
from feedback.local_days import time_zones
from feedback.models import Moderation, Scale
from feedback.services import Services
from feedback.services.sites import SiteChanges


@site_view
async def settings(request: Request, services: Services, session: Session, site: str) -> Response:
    return await _page(request, services, session, site, message=request.query_params.get("done"), status_code=200)


@site_view
async def change_settings(request: Request, services: Services, session: Session, site: str) -> Response:
    form = await request.form()
    if session.user.role != "admin" or not csrf_matches(form, session.csrf_token):
        return render(request, "error.html", session.user, status_code=403, message="forbidden")
    moderation, scale = form.get("moderation"), form.get("scale")
    try:
        if moderation not in get_args(Moderation) or scale not in get_args(Scale):
            raise ValueError("Choose a moderation mode and a scale from the lists.")
        origins = [validation.origin(line) for line in str(form.get("origins", "")).splitlines() if line.strip()]
        if not origins:
            raise ValueError("A site needs at least one origin.")
        time_zone = validation.time_zone(str(form.get("time_zone", "")))
        words = [
            validation.blocked_word(line) for line in str(form.get("blocked_words", "")).splitlines() if line.strip()
        ]
    except ValueError as error:  # InvalidInput is one too
        return await _page(request, services, session, site, message=str(error), status_code=422)
    changes = SiteChanges(origins=origins, moderation=moderation, blocked_words=words, scale=scale, time_zone=time_zone)  # type: ignore[arg-type]
    await services.site_admin.save(site, changes, actor=session.user.email)
    return RedirectResponse(f"{PATH}/sites/{site}/settings?done=saved", status_code=303)


async def _page(
    request: Request, services: Services, session: Session, site: str, message: str | None, status_code: int
) -> Response:
    current = await services.site_admin.get(site)
    host = f"{request.url.scheme}://{request.url.netloc}"
    return render(
        request,
        "settings.html",
        session.user,
        status_code=status_code,
        csrf_token=session.csrf_token,
        site=site,
        found=current,
        may_change=session.user.role == "admin",
        moderations=get_args(Moderation),
        scales=get_args(Scale),
        time_zones=sorted(time_zones()),
        snippet=f'<script async src="{host}/widget.js"></script>\n'
        f'<feedback-widget site="{site}" article="ARTICLE-ID"></feedback-widget>',
        message=message,
    )
