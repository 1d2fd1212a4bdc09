"""`/healthz` and `/readyz`, for process supervisors and load balancers, and their part of the
OpenAPI document.

They sit outside `/api/v1/sites/`, so per-site CORS passes them by, and no rate limit applies
(limits live in the vote and comment scripts). Their answers say `Cache-Control: no-store`:
a cache in between must not answer for the server.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback.api.responses import JSONResponse
from feedback.services import Services

_NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    """The process serves: nothing else is checked (a restart would not help a dependency)."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


async def readyz(request: Request) -> Response:
    services: Services = request.state.services
    readiness = await services.health.readiness()
    checks = [{"name": check.name, "ok": check.ok, "detail": check.detail} for check in readiness.checks]
    if readiness.ready:
        return JSONResponse({"status": "ready", "checks": checks}, headers=_NO_STORE)
    reasons = "; ".join(f"{check.name}: {check.detail}" for check in readiness.failing)
    body = {"error": {"code": "not_ready", "message": f"Not ready: {reasons}."}, "checks": checks}
    return JSONResponse(body, status_code=503, headers=_NO_STORE)


_CHECKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "ok", "detail"],
        "properties": {
            "name": {"enum": ["redis", "sqlite", "flush_lag"]},
            "ok": {"type": "boolean"},
            "detail": {"type": "string", "description": "What was found, or why the check failed."},
        },
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "summary": "Liveness: the process serves (no dependency is checked)",
            "responses": {
                "200": {
                    "description": "Serving.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["status"],
                                "properties": {"status": {"const": "ok"}},
                            }
                        }
                    },
                }
            },
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: Redis answers (or none is configured), SQLite takes a write, and the flush lag "
            "is under FEEDBACK_READY_MAX_LAG_SECONDS; each check bounded to a second",
            "responses": {
                "200": {
                    "description": "Ready: every check passed.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["status", "checks"],
                                "properties": {"status": {"const": "ready"}, "checks": _CHECKS},
                            }
                        }
                    },
                },
                "503": {
                    "description": "Not ready: the error's message names each failing check and why; `checks` "
                    "lists them all.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": "#/components/schemas/Error"},
                                    {"type": "object", "required": ["checks"], "properties": {"checks": _CHECKS}},
                                ]
                            }
                        }
                    },
                },
            },
        }
    },
}
