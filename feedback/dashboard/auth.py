"""Who is asking: the session behind the cookie, the CSRF token a form must carry, and where a
login may send its user on."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feedback.api.clients import client_address
from feedback.archive.sessions import Session
from feedback.dashboard.templating import render
from feedback.services import Services
from feedback.services.accounts import SESSION_SECONDS

SESSION_COOKIE = "feedback_session"
# Before a login there is no session to bind a form's CSRF token to: it is bound to this cookie.
LOGIN_COOKIE = "feedback_login"
PATH = "/dashboard"

SignedInView = Callable[[Request, Services, Session], Awaitable[Response]]
SiteView = Callable[[Request, Services, Session, str], Awaitable[Response]]


def services_of(request: Request) -> Services:
    services: Services = request.scope["state"]["services"]
    return services


def signed_in(view: SignedInView) -> Callable[[Request], Awaitable[Response]]:
    """A view for users with a session; others are sent to the login page, and back after it."""

    @functools.wraps(view)
    async def checked(request: Request) -> Response:
        services = services_of(request)
        token = request.cookies.get(SESSION_COOKIE)
        session = await services.accounts.session(token) if token else None
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PATH}/login?next={quote(target, safe='')}", status_code=303)
        return await view(request, services, session)

    return checked


def site_view(view: SiteView) -> Callable[[Request], Awaitable[Response]]:
    """A view of the site in the path, for users who may read it: others get 404, as for a site
    that does not exist (nothing tells them which sites there are)."""

    @signed_in
    @functools.wraps(view)
    async def checked(request: Request, services: Services, session: Session) -> Response:
        site = request.path_params["site"]
        found = await services.sites.get(site) if session.user.may_read(site) else None
        if found is None:
            return render(request, "error.html", session.user, status_code=404, message="not_found")
        request.state.time_zone = found.time_zone
        return await view(request, services, session, site)

    return checked


def csrf_matches(form: FormData, expected: str | None) -> bool:
    given = form.get("csrf_token")
    return isinstance(given, str) and expected is not None and secrets.compare_digest(given, expected)


async def decision_form(request: Request, session: Session, site: str) -> FormData | None:
    """The form of an editor's decision on `site` (comments, suspect votes); None when the user
    may not moderate the site or the form's CSRF token is missing or wrong (answer 403)."""
    form = await request.form()
    return form if session.user.may_moderate(site) and csrf_matches(form, session.csrf_token) else None


def page_number(request: Request) -> int:
    """The `page` of a paged list (from 1); the first for anything else."""
    text = request.query_params.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 10**6 else 1


def safe_next(target: str | None) -> str:
    """Only an address of the dashboard itself: never another site (`//evil.example`)."""
    if target and target.startswith(f"{PATH}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PATH}/"


def address_key(request: Request, services: Services) -> str:
    """The client's address as the lockout counts it: keyed with the secret, never stored raw."""
    address = client_address(request.scope, services.settings.trusted_proxies) or ""
    return hashlib.blake2b(address.encode(), key=services.settings.secret.encode()[:64], digest_size=16).hexdigest()


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def start_session(response: Response, request: Request, token: str) -> None:
    set_cookie(response, request, SESSION_COOKIE, token, SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path=PATH)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PATH)
