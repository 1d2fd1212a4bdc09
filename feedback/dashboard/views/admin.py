"""The admins' pages: the users (added and removed here as with `python -m feedback user`), and
the audit log of what was done."""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import PATH, csrf_matches, signed_in
from feedback.dashboard.templating import render
from feedback.errors import EmailTaken, InvalidInput
from feedback.models import Language, Role
from feedback.services import Services

_AUDIT_PAGE = 200


@signed_in
async def users(request: Request, services: Services, session: Session) -> Response:
    if session.user.role != "admin":
        return render(request, "error.html", session.user, status_code=403, message="forbidden")
    return await _users_page(request, services, session, message=request.query_params.get("done"), status_code=200)


@signed_in
async def change_users(request: Request, services: Services, session: Session) -> Response:
    """Add a user (`action=add`: email, password, role, sites, lang) or remove one (`action=remove`: email)."""
    admin = session.user
    form = await request.form()
    if admin.role != "admin" or not csrf_matches(form, session.csrf_token):
        return render(request, "error.html", admin, status_code=403, message="forbidden")
    try:
        email = validation.email(str(form.get("email", "")))
        if form.get("action") == "remove":
            if email == admin.email:
                raise InvalidInput("invalid_email", "An admin cannot remove themselves here.")
            await services.accounts.remove(email, admin.email)
            return RedirectResponse(f"{PATH}/users?done=removed", status_code=303)
        role = form.get("role")
        lang = form.get("lang") or None
        if role not in get_args(Role) or (lang is not None and lang not in get_args(Language)):
            raise InvalidInput("invalid_role", "Choose a role and a language from the lists.")
        sites = [validation.site_id(site.strip()) for site in str(form.get("sites", "")).split(",") if site.strip()]
        password = validation.password(str(form.get("password", "")))
        await services.accounts.add(email, password, role, sites, lang, admin.email)  # type: ignore[arg-type]
    except (InvalidInput, EmailTaken) as error:
        return await _users_page(request, services, session, message=str(error), status_code=422)
    return RedirectResponse(f"{PATH}/users?done=added", status_code=303)


async def _users_page(
    request: Request, services: Services, session: Session, message: str | None, status_code: int
) -> Response:
    return render(
        request,
        "users.html",
        session.user,
        status_code=status_code,
        csrf_token=session.csrf_token,
        users=await services.accounts.users(),
        roles=get_args(Role),
        message=message,
    )


@signed_in
async def audit(request: Request, services: Services, session: Session) -> Response:
    if session.user.role != "admin":
        return render(request, "error.html", session.user, status_code=403, message="forbidden")
    entries = await services.accounts.audit(_AUDIT_PAGE)
    return render(request, "audit.html", session.user, csrf_token=session.csrf_token, entries=entries)
