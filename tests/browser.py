"""Real headless Chromium (Debian's, driven by Playwright) against pages of a host site on an
origin of its own, embedding the widget from the feedback server, as in production."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.support import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root in a container, and on a machine whose network is closed (docs of the machine).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class HostSite:
    """A news site's pages, served on an origin of their own: `pages[name]` is (html, headers)."""

    url: str
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def page(
        self, name: str, body: str, *, api: str, lang: str = "vi", head: str = "", headers: dict[str, str] | None = None
    ) -> str:
        """Add a page whose body is `body`, with the widget's script from `api`; its address."""
        html = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Bài viết thử nghiệm</title>'
            f'<script async src="{api}/widget.js"></script>{head}</head><body>{body}</body></html>'
        )
        self.pages[name] = (html, headers or {})
        return f"{self.url}/{name}"


@contextlib.asynccontextmanager
async def host_site() -> AsyncIterator[HostSite]:
    site = HostSite(url="")

    async def page(request: Request) -> Response:
        if request.path_params["name"] not in site.pages:
            return Response(status_code=204)  # the browser's favicon.ico
        html, headers = site.pages[request.path_params["name"]]
        return HTMLResponse(html, headers=headers)

    port = free_port()
    site.url = f"http://127.0.0.1:{port}"
    app = Starlette(routes=[Route("/{name}", page)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield site
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Browser, url: str, errors: list[str] | None = None, bypass_csp: bool = False) -> Page:
    """A page in a fresh context; its uncaught errors and console errors go to `errors`. With
    `bypass_csp`, a test may inject scripts (axe-core) into a page whose policy forbids them."""
    context = await browser.new_context(bypass_csp=bypass_csp)
    page = await context.new_page()
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        page.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
    await page.goto(url)
    return page
