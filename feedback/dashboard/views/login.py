"""Logging in and out."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback import validation
from feedback.archive.sessions import Session
from feedback.dashboard.auth import (
    LOGIN_COOKIE,
    PATH,
    SESSION_COOKIE,
    address_key,
    csrf_matches,
    end_session,
    safe_next,
    services_of,
    set_cookie,
    signed_in,
    start_session,
)
from feedback.dashboard.templating import render
from feedback.errors import InvalidInput, LoginLocked, LoginRefused
from feedback.services import Services

_LOGIN_FORM_SECONDS = 3600


async def login_page(request: Request) -> Response:
    return _form(request, request.query_params.get("next"), message=None, status_code=200)


async def log_in(request: Request) -> Response:
    services = services_of(request)
    form = await request.form()
    target = form.get("next")
    target = target if isinstance(target, str) else None
    if not csrf_matches(form, request.cookies.get(LOGIN_COOKIE)):
        return _form(request, target, "forbidden", status_code=403)
    email, password = form.get("email"), form.get("password")
    try:
        if not isinstance(email, str) or not isinstance(password, str):
            raise LoginRefused()
        session = await services.accounts.log_in(validation.email(email), password, address_key(request, services))
    except (LoginRefused, InvalidInput):
        return _form(request, target, "login_refused", status_code=401, email=email)
    except LoginLocked as locked:
        response = _form(request, target, "login_locked", status_code=429, minutes=-(-locked.retry_after_seconds // 60))
        response.headers["Retry-After"] = str(locked.retry_after_seconds)
        return response
    response = RedirectResponse(safe_next(target), status_code=303)
    start_session(response, request, session.token)
    return response


@signed_in
async def log_out(request: Request, services: Services, session: Session) -> Response:
    form = await request.form()
    if not csrf_matches(form, session.csrf_token):
        return render(request, "error.html", session.user, status_code=403, message="forbidden")
    if form.get("everywhere"):
        await services.accounts.log_out_everywhere(session.user)
    else:
        token = request.cookies.get(SESSION_COOKIE, "")
        await services.accounts.log_out(token)
    response = RedirectResponse(f"{PATH}/login", status_code=303)
    end_session(response)
    return response


def _form(request: Request, target: str | None, message: str | None, status_code: int, **words: object) -> Response:
    csrf_token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        csrf_token=csrf_token,
        next=safe_next(target),
        message=message,
        words=words,
    )
    set_cookie(response, request, LOGIN_COOKIE, csrf_token, _LOGIN_FORM_SECONDS)
    return response
