"""The ASGI application: routes, middleware, error rendering and the services' lifetime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from feedback import api, dashboard, demo
from feedback.api import widget_script
from feedback.api.cors import SiteCORSMiddleware
from feedback.api.endpoint import Endpoint
from feedback.api.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected_error
from feedback.api.observe import ObservedRequests
from feedback.collector import tune_for_throughput
from feedback.errors import FeedbackError
from feedback.services import Services
from feedback.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    """The app for `settings` (by default read from the environment when the app starts)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services]]:
        services = await Services.start(settings or Settings.from_env())
        tune_for_throughput()
        try:
            yield {"services": services}
        finally:
            await services.stop()

    return Starlette(
        routes=[
            *api.routes,
            Route("/widget.js", Endpoint(widget_script.widget_js), methods=["GET"]),
            Route("/widget.{digest}.js", Endpoint(widget_script.hashed_widget_js), methods=["GET"]),
            Route("/", Endpoint(demo.article_page), methods=["GET"]),
            dashboard.dashboard,
        ],
        # Observed first, so that the requests CORS refuses are logged and counted too.
        middleware=[Middleware(ObservedRequests), Middleware(SiteCORSMiddleware)],
        exception_handlers={
            ApiError: handle_api_error,
            FeedbackError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected_error,
        },
        lifespan=lifespan,
    )
