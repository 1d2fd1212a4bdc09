"""Every request's id, log line and count: a pure ASGI middleware around the app's routes.

The request id is the `X-Request-Id` a trusted proxy sent (FEEDBACK_TRUSTED_PROXIES), so that
its log and ours name a request alike, or else one made here; either way the response carries
it back. The log line (`feedback.access`, at info) and the count in `/metrics` name the route's
template, never the path: paths hold article ids, unbounded in number and the readers' business.
"""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback.api.clients import from_trusted_proxy
from feedback.logs import ACCESS_LOGGER
from feedback.services import Services

access_log = logging.getLogger(ACCESS_LOGGER)

# What a proxy's id may look like: enough for UUIDs and most tracing ids, nothing that could
# forge a header or a log field.
_PROXY_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:/+=-]{1,128}")
# Methods are counted by name only when known: any other token a client sends is "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
# The route label of a request that no route took (a 404 of routing).
_UNMATCHED = "unmatched"


class ObservedRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        services: Services = scope["state"]["services"]
        logged = access_log.isEnabledFor(logging.INFO)
        started = time.perf_counter() if logged else 0.0
        request_id = _request_id(scope, services)
        root_path: str = scope.get("root_path", "")
        status = 500  # unless a response starts: an error that escapes is answered 500 further out

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics = services.metrics
            # Else only the request id: this runs for every request.
            if metrics is not None or logged:
                route = _route_template(scope, root_path)
                method = scope["method"] if scope["method"] in _METHODS else "other"
                if metrics is not None:
                    metrics.count_request(route, method, status)
                if logged:
                    duration_ms = round((time.perf_counter() - started) * 1000, 3)
                    fields = {"request_id": request_id.decode(), "method": method, "route": route, "status": status}
                    access_log.info("request", extra={**fields, "duration_ms": duration_ms})


def _request_id(scope: Scope, services: Services) -> bytes:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _PROXY_REQUEST_ID.fullmatch(value) and from_trusted_proxy(scope, services.settings.trusted_proxies):
                return bytes(value)
            break
    # An id needs to be unique, not secret: Python's generator spares every request a getrandom()
    # system call, and 64 bits make a repeat unlikely among billions of requests.
    return b"%016x" % random.getrandbits(64)


def _route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that took the request, with the path of the mounts it is in.

    Starlette's router notes the route in the scope; a mount moves its own path from `path` to
    `root_path` (a literal one, such as /dashboard), so the root path gained is the mounts'."""
    route = scope.get("route")
    if route is None:
        return _UNMATCHED
    mounts: str = scope.get("root_path", "")[len(root_path) :]
    if isinstance(route, Mount):  # a mount that is not a router, such as static files
        return f"{mounts}/{{path}}"
    path: str = route.path
    return mounts + path
