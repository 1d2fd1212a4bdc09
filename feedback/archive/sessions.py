"""The `sessions` table: dashboard sessions, server-side, so that one can be revoked and every
worker and host sees the same."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.archive.connection import Database, now_ms
from feedback.archive.users import one_user
from feedback.models import User


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at_ms: int


class Sessions:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, token_hash: str, user_id: int, csrf_token: str, expires_at_ms: int) -> None:
        async with self._database.transaction() as connection:
            await connection.execute("DELETE FROM sessions WHERE expires_at <= ?", (now_ms(),))
            await connection.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, user_id, csrf_token, now_ms(), expires_at_ms),
            )

    async def find(self, token_hash: str) -> Session | None:
        """The live session of that token, if any."""
        rows = await self._database.fetch(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
            (token_hash, now_ms()),
        )
        if not rows:
            return None
        user_id, csrf_token, expires_at = rows[0]
        user = await one_user(self._database, "u.id = ?", user_id)
        return Session(user, csrf_token, expires_at) if user is not None else None

    async def remove(self, token_hash: str) -> None:
        async with self._database.transaction() as connection:
            await connection.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    async def remove_all_of(self, user_id: int) -> None:
        """Log a user out everywhere."""
        async with self._database.transaction() as connection:
            await connection.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
