"""The `audit_log` table: who did what to which site, and when, for admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedback import json
from feedback.archive.connection import Database, now_ms


@dataclass(frozen=True)
class AuditEntry:
    at_ms: int
    actor: str
    action: str
    site: str | None
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, actor: str, action: str, site: str | None, detail: dict[str, Any]) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(
                "INSERT INTO audit_log (at, actor, action, site, detail) VALUES (?, ?, ?, ?, ?)",
                (now_ms(), actor, action, site, json.dumps(detail).decode()),
            )

    async def latest(self, limit: int, before_ms: int | None = None) -> list[AuditEntry]:
        rows = await self._database.fetch(
            "SELECT at, actor, action, site, detail FROM audit_log WHERE at < ? ORDER BY at DESC, id DESC LIMIT ?",
            (before_ms if before_ms is not None else 2**62, limit),
        )
        return [AuditEntry(at, actor, action, site, json.loads(detail)) for at, actor, action, site, detail in rows]
