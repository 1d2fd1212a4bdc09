"""The editors' dashboard at /dashboard: server-rendered pages (Jinja2) over the same services as
the CLI, behind a login."""

from feedback.dashboard.routes import dashboard

__all__ = ["dashboard"]
