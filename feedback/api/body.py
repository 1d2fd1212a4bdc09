"""Reading request bodies: size-limited JSON objects."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from feedback import json
from feedback.api.errors import ApiError

MAX_BODY_BYTES = 4096
"""A vote's body; a comment's may be larger (MAX_COMMENT_BODY_BYTES)."""
MAX_COMMENT_BODY_BYTES = 24_576
"""2000 characters of text JSON-escaped as \\uXXXX surrogate pairs (12 bytes each), and the rest."""


async def json_object(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; 413 past `max_bytes`, read no further than that.

    Reads ASGI messages directly: Request.stream()'s async generator costs every vote."""
    body = b""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client_disconnected", "The client went away before sending the whole body.")
        body += message.get("body", b"")
        if len(body) > max_bytes:
            raise ApiError(413, "body_too_large", f"The request body is over the {max_bytes // 1024} KiB limit.")
        if not message.get("more_body", False):
            return parse_json_object(body)


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "malformed_json", "The request body must be a JSON object.")
    return parsed
