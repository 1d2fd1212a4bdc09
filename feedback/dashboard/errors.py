"""Errors inside the dashboard answered as its pages are (HTML in the user's language, under the
same security headers), not in the API's JSON: an address that does not exist, a method a page
does not take, and a bug or a failing dependency (logged)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback.dashboard.auth import SESSION_COOKIE, services_of
from feedback.dashboard.templating import render
from feedback.models import User

log = logging.getLogger(__name__)

_MESSAGES = {404: "not_found", 405: "not_found"}


class DashboardErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as error:
            if started:
                raise
            if isinstance(error, HTTPException):
                status, message = error.status_code, _MESSAGES.get(error.status_code, "internal_error")
            else:
                log.exception("dashboard: %s %s failed", scope["method"], scope["path"])
                status, message = 500, "internal_error"
            request = Request(scope)
            user = await _user_of(request)
            await render(request, "error.html", user, status_code=status, message=message)(scope, receive, send)


async def _user_of(request: Request) -> User | None:
    """Whose language the page speaks; none (the browser's) when the failure was the archive's."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        session = await services_of(request).accounts.session(token) if token else None
    except Exception:  # the page must still be answered, in some language
        return None
    return session.user if session else None
