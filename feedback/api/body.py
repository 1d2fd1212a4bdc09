"""Reading request bodies: size-limited JSON objects."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from feedback import validation
from feedback.errors import ApiError

MAX_BODY_BYTES = 4096


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 413 past MAX_BODY_BYTES, read no further than that."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    return validation.json_object(body)


def _too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"The request body is over the {MAX_BODY_BYTES // 1024} KiB limit.")
