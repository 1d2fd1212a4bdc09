"""The HTTP API, version 1: its routes, endpoints and OpenAPI document, and the HTTP edge's
helpers (errors, CORS, client addresses, bodies)."""

from feedback.api.routes import routes

__all__ = ["routes"]
