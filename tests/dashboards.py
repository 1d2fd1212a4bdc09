"""What the dashboard's tests share: a browser-like client that logs in, and its users."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from feedback.archive import Archive
from feedback.models import Language, Role, Site
from feedback.services.accounts import Accounts
from feedback.settings import Settings
from tests.support import ORIGIN, SITE, LiveServer

PASSWORD = "mật-khẩu-đủ-dài"
OTHER_SITE = "bao-khac"


@dataclass
class Dashboard:
    live: LiveServer

    def client(self) -> httpx.AsyncClient:
        """A browser of its own: cookies kept, redirects not followed."""
        return httpx.AsyncClient(base_url=self.live.url, timeout=30)

    async def log_in(
        self, client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_: str = ""
    ) -> httpx.Response:
        page = await client.get("/dashboard/login")
        token = csrf_of(page.text)
        form = {"email": email, "password": password, "csrf_token": token, "next": next_}
        return await client.post("/dashboard/login", data=form)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match[1]


async def add_user(settings: Settings, email: str, role: Role, sites: list[str], lang: Language = "en") -> None:
    async with await Archive.open(settings.database_path) as archive:
        await Accounts(archive).add(email, PASSWORD, role, sites, lang, "test")


async def add_sites_and_users(settings: Settings) -> None:
    """The sites SITE and OTHER_SITE, an admin, and an editor and a viewer of SITE."""
    async with await Archive.open(settings.database_path) as archive:
        await archive.sites.save(Site(SITE, (ORIGIN,)))
        await archive.sites.save(Site(OTHER_SITE, (ORIGIN,)))
    await add_user(settings, "admin@example.vn", "admin", [])
    await add_user(settings, "editor@example.vn", "editor", [SITE])
    await add_user(settings, "viewer@example.vn", "viewer", [SITE])
