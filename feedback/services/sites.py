"""Sites (publications): the rules for creating and changing one, and the request path's cache
of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from feedback.archive import Archive
from feedback.errors import NewSiteNeedsOrigins
from feedback.models import Moderation, Scale, Site

# Sites change rarely (through the CLI, in another process): re-read them this often.
_REFRESH_SECONDS = 5.0
# An unknown site id re-reads at most this often, so a new site works at once but junk ids
# cannot make every request hit SQLite.
_UNKNOWN_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class SiteChanges:
    """What to change of a site; None leaves a setting as it is."""

    origins: Sequence[str] | None = None
    """Replaces the allowed origins (canonical, see `validation.origin`); a new site needs one."""
    moderation: Moderation | None = None
    blocked_words: Sequence[str] | None = None
    """Replaces the blocked words; empty clears them."""
    scale: Scale | None = None
    time_zone: str | None = None
    """An IANA name (see `validation.time_zone`); a change re-sums the site's per-day figures."""


class SiteAdmin:
    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    async def save(self, site_id: str, changes: SiteChanges, actor: str = "cli") -> Site:
        """Create the site, or change the settings given. Raises NewSiteNeedsOrigins. Audited."""
        site = await self._archive.sites.get(site_id)
        if site is None:
            if not changes.origins:
                raise NewSiteNeedsOrigins(site_id)
            site = Site(site_id, ())
        if changes.origins:
            site = replace(site, origins=tuple(dict.fromkeys(changes.origins)))
        if changes.moderation is not None:
            site = replace(site, moderation=changes.moderation)
        if changes.scale is not None:
            site = replace(site, scale=changes.scale)
        if changes.blocked_words is not None:
            site = replace(site, blocked_words=tuple(dict.fromkeys(changes.blocked_words)))
        if changes.time_zone is not None:
            site = replace(site, time_zone=changes.time_zone)
        await self._archive.sites.save(site)
        await self._archive.audit.add(actor, "site.save", site.id, {
            "origins": list(site.origins), "moderation": site.moderation, "scale": site.scale,
            "blocked_words": list(site.blocked_words), "time_zone": site.time_zone,
        })  # fmt: skip
        return site

    async def get(self, site_id: str) -> Site | None:
        return await self._archive.sites.get(site_id)

    async def all(self) -> list[Site]:
        return await self._archive.sites.all()


class SiteRegistry:
    """The sites, cached in memory from the archive for the request path."""

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
            self._sites = {site.id: site for site in await self._archive.sites.all()}
            self._loaded_at = time.monotonic()
