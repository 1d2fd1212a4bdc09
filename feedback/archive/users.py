"""The `users` and `user_sites` tables: who may log into the dashboard, and to which sites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from feedback.archive.connection import Database, now_ms
from feedback.models import Language, Role, User

USER_QUERY = (
    "SELECT u.id, u.email, u.role, u.lang, group_concat(s.site, ' ') FROM users AS u "
    "LEFT JOIN user_sites AS s ON s.user_id = u.id"
)


class Users:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(
        self, email: str, password_hash: str, role: Role, sites: Sequence[str], lang: Language | None
    ) -> User:
        """A new user. Raises sqlite3.IntegrityError when the e-mail is taken."""
        async with self._database.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO users (email, password_hash, role, lang, created_at) VALUES (?, ?, ?, ?, ?)",
                (email, password_hash, role, lang, now_ms()),
            )
            user_id = cursor.lastrowid
            assert user_id is not None
            await _set_sites(connection, user_id, sites)
        return User(user_id, email, role, tuple(sites), lang)

    async def all(self) -> list[User]:
        rows = await self._database.fetch(f"{USER_QUERY} GROUP BY u.id ORDER BY u.email")
        return [user_from_row(row) for row in rows]

    async def by_email(self, email: str) -> User | None:
        return await one_user(self._database, "u.email = ?", email)

    async def password_hash(self, email: str) -> str | None:
        rows = await self._database.fetch("SELECT password_hash FROM users WHERE email = ?", (email,))
        return str(rows[0][0]) if rows else None

    async def set_password_hash(self, email: str, password_hash: str) -> bool:
        """Replace a user's password and end their sessions; False when there is no such user."""
        async with self._database.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE users SET password_hash = ? WHERE email = ?", (password_hash, email)
            )
            await connection.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)", (email,)
            )
        return cursor.rowcount == 1

    async def remove(self, email: str) -> bool:
        """Remove a user, their sites and their sessions; False when there is no such user."""
        async with self._database.transaction() as connection:
            cursor = await connection.execute("DELETE FROM users WHERE email = ?", (email,))
        return cursor.rowcount == 1


async def _set_sites(connection: aiosqlite.Connection, user_id: int, sites: Sequence[str]) -> None:
    await connection.execute("DELETE FROM user_sites WHERE user_id = ?", (user_id,))
    await connection.executemany(
        "INSERT INTO user_sites (user_id, site) VALUES (?, ?)", ((user_id, site) for site in dict.fromkeys(sites))
    )


async def one_user(database: Database, condition: str, value: object) -> User | None:
    """The user for whom `condition` (on `users AS u`, with one parameter) holds, if any."""
    rows = await database.fetch(f"{USER_QUERY} WHERE {condition} GROUP BY u.id", (value,))
    return user_from_row(rows[0]) if rows else None


def user_from_row(row: Sequence[Any]) -> User:
    """A user from the columns of USER_QUERY."""
    user_id, email, role, lang, sites = row
    return User(user_id, email, role, tuple(sorted((sites or "").split())), lang)
