"""Errors as the HTTP API answers them, `{"error": {"code", "message"}}`: the edge's own, the
domain's (each mapped to its status here, and only here), Starlette's, and anything unexpected."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feedback.api.responses import JSONResponse
from feedback.errors import (
    ArticleBusy,
    EmailTaken,
    FeedbackError,
    InvalidInput,
    LoginLocked,
    LoginRefused,
    RateLimited,
    UnknownSite,
)


class ApiError(Exception):
    """An error of the HTTP exchange itself (a body too large, not JSON): a status, a stable
    code and a readable message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def as_api_error(error: FeedbackError) -> ApiError:
    """The status, code and message a domain error is answered with."""
    if isinstance(error, InvalidInput):
        return ApiError(422, error.code, error.message)
    if isinstance(error, UnknownSite):
        return ApiError(404, "unknown_site", str(error))
    if isinstance(error, RateLimited):
        seconds = error.retry_after_seconds
        message = f"Too many {error.what} from this reader or network; try again in {seconds} s."
        return ApiError(429, "rate_limited", message, {"Retry-After": str(seconds)})
    if isinstance(error, ArticleBusy):
        return ApiError(503, "try_again", "This article is busy; please try again in a moment.", {"Retry-After": "1"})
    if isinstance(error, EmailTaken):
        return ApiError(409, "email_taken", str(error))
    if isinstance(error, LoginRefused):
        return ApiError(401, "login_refused", "Wrong e-mail or password.")
    if isinstance(error, LoginLocked):
        seconds = error.retry_after_seconds
        message = f"Too many failed logins; try again in {seconds // 60} minutes."
        return ApiError(429, "login_locked", message, {"Retry-After": str(seconds)})
    raise TypeError(f"no HTTP answer for {error!r}") from error


async def handle_api_error(request: Request, exc: Exception) -> Response:
    error = as_api_error(exc) if isinstance(exc, FeedbackError) else exc
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.message, error.headers)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug or a failing dependency, answered in the usual shape (the server logs it)."""
    return error_response(500, "internal_error", "Something went wrong on our side; please try again.")


_HTTP_CODES = {
    404: ("not_found", "No such endpoint; see /api/v1/openapi.json."),
    405: ("method_not_allowed", "This endpoint does not accept that method."),
}


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (routing, body limit) in the same JSON shape as ours."""
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", str(exc.detail)))
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))
