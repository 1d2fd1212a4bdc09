"""The `sites` table: each publication, its allowed origins and comment settings."""

from __future__ import annotations

import aiosqlite

from feedback import json
from feedback.archive.connection import Database, now_ms
from feedback.archive.votes import rebuild_days
from feedback.models import Site


class Sites:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def save(self, site: Site) -> None:
        """Create the site, or replace its settings; a new time zone re-sums its per-day figures
        (in the same transaction, so no flush adds to days of the old zone meanwhile)."""
        async with self._database.transaction() as connection:
            zones = await connection.execute_fetchall("SELECT time_zone FROM sites WHERE id = ?", (site.id,))
            await connection.execute(
                "INSERT INTO sites (id, origins, moderation, blocked_words, scale, time_zone, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET origins = excluded.origins, moderation = excluded.moderation, "
                "blocked_words = excluded.blocked_words, scale = excluded.scale, time_zone = excluded.time_zone",
                (
                    site.id,
                    json.dumps(list(site.origins)).decode(),
                    site.moderation,
                    json.dumps(list(site.blocked_words)).decode(),
                    site.scale,
                    site.time_zone,
                    now_ms(),
                ),
            )
            if any(zone != site.time_zone for (zone,) in zones):
                await rebuild_days(connection, site.id)

    async def all(self) -> list[Site]:
        return [_site(row) for row in await self._database.fetch(f"SELECT {_COLUMNS} FROM sites ORDER BY id")]

    async def get(self, site_id: str) -> Site | None:
        rows = await self._database.fetch(f"SELECT {_COLUMNS} FROM sites WHERE id = ?", (site_id,))
        return _site(rows[0]) if rows else None


_COLUMNS = "id, origins, moderation, blocked_words, scale, time_zone"


def _site(row: aiosqlite.Row) -> Site:
    site_id, origins, moderation, blocked_words, scale, time_zone = row
    return Site(site_id, tuple(json.loads(origins)), moderation, tuple(json.loads(blocked_words)), scale, time_zone)
