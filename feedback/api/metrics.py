"""`GET /metrics`: the server's metrics in the Prometheus text format, for the networks
FEEDBACK_METRICS_ALLOW lists (and as if there were no such endpoint while FEEDBACK_METRICS is off).

The client is the address seen through the trusted proxies (FEEDBACK_TRUSTED_PROXIES), as for
rate limits: a reverse proxy on this host must be listed there, or everything it forwards would
come from loopback.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feedback.api.clients import client_address
from feedback.api.errors import error_response
from feedback.services import Services
from feedback.settings import Settings


async def metrics(request: Request) -> Response:
    services: Services = request.state.services
    if services.metrics is None:
        raise HTTPException(404)
    settings = services.settings
    if not _allowed(client_address(request.scope, settings.trusted_proxies), settings):
        return error_response(403, "forbidden", "Metrics are not served to this network (see FEEDBACK_METRICS_ALLOW).")
    body = services.metrics.exposition(await services.health.flush_backlog())
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _allowed(address: str | None, settings: Settings) -> bool:
    if address is None:
        return False
    try:
        client = ip_address(address)
    except ValueError:  # a test client's name, not an address
        return False
    return any(client in network for network in settings.metrics_allow)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


OPENAPI_PATHS: dict[str, Any] = {
    "/metrics": {
        "get": {
            "summary": "The server's metrics in the Prometheus text format (FEEDBACK_METRICS=on), summed over its "
            "worker processes; for the networks in FEEDBACK_METRICS_ALLOW",
            "responses": {
                "200": {
                    "description": "The metrics.",
                    "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                },
                "403": _error("`forbidden`: the client's network is not in FEEDBACK_METRICS_ALLOW."),
                "404": _error("`not_found`: metrics are off (FEEDBACK_METRICS)."),
            },
        }
    },
}
