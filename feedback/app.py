"""The ASGI application: routes, middleware, error rendering and the services' lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from feedback import api, demo
from feedback.cors import SiteCORSMiddleware
from feedback.errors import ApiError, handle_api_error, handle_http_exception
from feedback.services import Services
from feedback.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    """The app for `settings` (by default read from the environment when the app starts)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services]]:
        services = await Services.start(settings or Settings.from_env())
        try:
            yield {"services": services}
        finally:
            await services.stop()

    return Starlette(
        routes=[*api.routes, Route("/", demo.article_page, methods=["GET"])],
        middleware=[Middleware(SiteCORSMiddleware)],
        exception_handlers={ApiError: handle_api_error, HTTPException: handle_http_exception},
        lifespan=lifespan,
    )
