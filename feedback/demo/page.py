"""The demo article page, served at `/`."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


async def article_page(request: Request) -> Response:
    return HTMLResponse((resources.files(__package__) / "article.html").read_text(encoding="utf-8"))
