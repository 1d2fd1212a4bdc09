"""Per-site CORS: each site lists the origins whose pages may call its part of the API.

A pure ASGI middleware in the manner of `starlette.middleware.cors`, but the allowed origins
depend on the site named in the path. Requests without an Origin header (curl, servers) pass.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback.api.errors import error_response
from feedback.services import Services

SITE_PATH_PREFIX = "/api/v1/sites/"
ALLOWED_METHODS = "GET, PUT, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = "Content-Type"
# One preflight then serves a browser for a day (browsers cap it lower: Chrome at 2 hours).
PREFLIGHT_MAX_AGE = "86400"


class SiteCORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _origin(scope) if scope["type"] == "http" and scope["path"].startswith(SITE_PATH_PREFIX) else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        services: Services = scope["state"]["services"]
        site_id = scope["path"][len(SITE_PATH_PREFIX) :].partition("/")[0]
        site = await services.sites.get(site_id)
        if site is None:
            await self.app(scope, receive, send)  # the endpoint answers 404 unknown site
            return
        if origin.lower().rstrip("/") not in site.origins:
            message = f"Origin {origin} is not among the allowed origins of site {site.id!r}."
            response = error_response(403, "origin_not_allowed", message)
            await response(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in Headers(scope=scope):
            await _preflight(origin)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = origin
                # So that a page can read how long a 429 asks it to wait.
                response_headers["Access-Control-Expose-Headers"] = "Retry-After"
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _origin(scope: Scope) -> str | None:
    # Scanning the raw headers spares every request without an Origin a Headers object.
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"origin":
            return value.decode("latin-1")
    return None


def _preflight(origin: str) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            "Vary": "Origin",
        },
    )
