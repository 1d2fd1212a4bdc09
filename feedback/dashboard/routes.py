"""The dashboard's routes, mounted at /dashboard, with its security headers on every response."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from feedback.dashboard.errors import DashboardErrors
from feedback.dashboard.security import SecurityHeaders
from feedback.dashboard.views import (
    admin,
    article,
    articles,
    export,
    live,
    login,
    moderation,
    overview,
    settings,
    suspects,
)

dashboard = Mount(
    "/dashboard",
    routes=[
        Route("/", overview.overview, methods=["GET"]),
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.log_in, methods=["POST"]),
        Route("/logout", login.log_out, methods=["POST"]),
        Route("/sites/{site}/moderation", moderation.desk, methods=["GET"]),
        Route("/sites/{site}/moderation", moderation.moderate, methods=["POST"]),
        Route("/sites/{site}/moderation/waiting", live.waiting, methods=["GET"]),
        Route("/sites/{site}/suspects", suspects.review, methods=["GET"]),
        Route("/sites/{site}/suspects", suspects.decide, methods=["POST"]),
        Route("/sites/{site}/articles", articles.articles, methods=["GET"]),
        Route("/sites/{site}/export", export.export, methods=["GET"]),
        Route("/sites/{site}/settings", settings.settings, methods=["GET"]),
        Route("/sites/{site}/settings", settings.change_settings, methods=["POST"]),
        Route("/users", admin.users, methods=["GET"]),
        Route("/users", admin.change_users, methods=["POST"]),
        Route("/audit", admin.audit, methods=["GET"]),
        Route("/sites/{site}/articles/{article:path}", article.article, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("feedback.dashboard", "static")]), name="static"),
    ],
    middleware=[Middleware(SecurityHeaders), Middleware(DashboardErrors)],
)
