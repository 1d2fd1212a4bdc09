"""The `login_failures` table: failed dashboard logins, by account and by address hash, for
lockouts."""

from __future__ import annotations

from feedback.archive.connection import Database, now_ms


class LoginFailures:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, account: str, address: str, window_ms: int) -> None:
        """Record a failure, and forget those older than the window."""
        async with self._database.transaction() as connection:
            now = now_ms()
            await connection.execute("DELETE FROM login_failures WHERE at <= ?", (now - window_ms,))
            await connection.execute(
                "INSERT INTO login_failures (account, address, at) VALUES (?, ?, ?)", (account, address, now)
            )

    async def recent(self, account: str, address: str, window_ms: int) -> tuple[int, int]:
        """Failures within the window: of the account, and from the address."""
        since = now_ms() - window_ms
        rows = await self._database.fetch(
            "SELECT (SELECT count(*) FROM login_failures WHERE account = ? AND at > ?), "
            "(SELECT count(*) FROM login_failures WHERE address = ? AND at > ?)",
            (account, since, address, since),
        )
        return rows[0][0], rows[0][1]

    async def clear(self, account: str) -> None:
        """After a successful login: the account's failures are forgiven (the address's are not)."""
        async with self._database.transaction() as connection:
            await connection.execute("DELETE FROM login_failures WHERE account = ?", (account,))
