"""The one error type of the API and its rendering as `{"error": {"code", "message"}}`."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feedback.json import JSONResponse


class ApiError(Exception):
    """An error a client can act on: an HTTP status, a stable code and a readable message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class RateLimited(ApiError):
    """Too many requests of one kind from one reader or address: 429 with Retry-After."""

    def __init__(self, what: str, retry_after_ms: int) -> None:
        seconds = max(1, -(-retry_after_ms // 1000))  # whole seconds, rounded up
        message = f"Too many {what} from this reader or network; try again in {seconds} s."
        super().__init__(429, "rate_limited", message, {"Retry-After": str(seconds)})


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


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
