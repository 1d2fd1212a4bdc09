"""Sites (publications) and their allowed origins, cached in memory from the archive."""

from __future__ import annotations

import asyncio
import time

from feedback.archive import Archive
from feedback.models import Site

# Sites change rarely (through the CLI, in another process): re-read them this often.
_REFRESH_SECONDS = 5.0
# An unknown site id re-reads at most this often, so a new site works at once but junk ids
# cannot make every request hit SQLite.
_UNKNOWN_REFRESH_SECONDS = 1.0


class SiteRegistry:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._sites: dict[str, Site] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, site_id: str) -> Site | None:
        age = time.monotonic() - self._loaded_at
        if age > _REFRESH_SECONDS or (site_id not in self._sites and age > _UNKNOWN_REFRESH_SECONDS):
            await self._reload(self._loaded_at)
        return self._sites.get(site_id)

    async def _reload(self, seen_loaded_at: float) -> None:
        async with self._lock:
            if self._loaded_at != seen_loaded_at:
                return  # another request reloaded while this one waited
            self._sites = {site.id: site for site in await self._archive.sites()}
            self._loaded_at = time.monotonic()
