"""Reading request bodies: size-limited JSON objects."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from feedback import validation
from feedback.errors import ApiError

MAX_BODY_BYTES = 4096


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 413 past MAX_BODY_BYTES, read no further than that.

    Reads ASGI messages directly: Request.stream()'s async generator costs every vote."""
    body = b""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client_disconnected", "The client went away before sending the whole body.")
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        if not message.get("more_body", False):
            return validation.json_object(body)


def _too_large() -> ApiError:
    return ApiError(413, "body_too_large", f"The request body is over the {MAX_BODY_BYTES // 1024} KiB limit.")
