"""Dashboard users and their sessions: argon2id passwords, server-side sessions, lockouts after
failed logins, and the audit log of what admins change."""

from __future__ import annotations

import functools
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from feedback.archive import Archive
from feedback.archive.audit import AuditEntry
from feedback.archive.sessions import Session
from feedback.errors import EmailTaken, InvalidInput, LoginLocked, LoginRefused
from feedback.models import Language, Role, User

# After this many failures within the window, for one account or from one address hash, logins
# are refused even with the right password until the window passes.
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class NewSession:
    token: str
    """For the cookie: the archive keeps only its hash."""
    csrf_token: str
    user: User
    expires_at_ms: int


class Accounts:
    def __init__(self, archive: Archive, hasher: PasswordHasher | None = None) -> None:
        self._archive = archive
        self._hasher = hasher or PasswordHasher()  # argon2id, with the library's parameters

    @functools.cached_property
    def _unknown_hash(self) -> str:
        """Compared against when an e-mail is unknown, so that the answer takes as long."""
        return self._hasher.hash(secrets.token_hex(16))

    async def add(
        self, email: str, password: str, role: Role, sites: Sequence[str], lang: Language | None, actor: str
    ) -> User:
        """A new user (`email` and `password` already validated). Raises InvalidInput when the
        sites do not fit the role, EmailTaken."""
        if role == "admin" and sites:
            raise InvalidInput("invalid_sites", "An admin has every site: sites are given to editors and viewers.")
        if role != "admin" and not sites:
            raise InvalidInput("invalid_sites", f"An {role} needs at least one site.")
        try:
            user = await self._archive.users.add(email, self._hasher.hash(password), role, sites, lang)
        except sqlite3.IntegrityError:
            raise EmailTaken(email) from None
        await self._archive.audit.add(actor, "user.add", None, {"email": email, "role": role, "sites": list(sites)})
        return user

    async def users(self) -> list[User]:
        return await self._archive.users.all()

    async def audit(self, limit: int) -> list[AuditEntry]:
        """The latest entries of the audit log, newest first."""
        return await self._archive.audit.latest(limit)

    async def remove(self, email: str, actor: str) -> bool:
        removed = await self._archive.users.remove(email)
        if removed:
            await self._archive.audit.add(actor, "user.remove", None, {"email": email})
        return removed

    async def set_password(self, email: str, password: str, actor: str) -> bool:
        """A new password; the user's sessions end. False when there is no such user."""
        changed = await self._archive.users.set_password_hash(email, self._hasher.hash(password))
        if changed:
            await self._archive.audit.add(actor, "user.password", None, {"email": email})
        return changed

    async def log_in(self, email: str, password: str, address: str) -> NewSession:
        """A session for the user. Raises LoginRefused (wrong e-mail or password, alike) or
        LoginLocked (too many failures for the account or from `address`, a hash)."""
        window_ms = LOCKOUT_WINDOW_SECONDS * 1000
        by_account, by_address = await self._archive.login_failures.recent(email, address, window_ms)
        if max(by_account, by_address) >= LOCKOUT_FAILURES:
            raise LoginLocked(LOCKOUT_WINDOW_SECONDS)
        stored = await self._archive.users.password_hash(email)
        if not self._verifies(stored or self._unknown_hash, password) or stored is None:
            await self._archive.login_failures.add(email, address, window_ms)
            raise LoginRefused()
        await self._archive.login_failures.clear(email)
        user = await self._archive.users.by_email(email)
        assert user is not None
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at_ms = int((time.time() + SESSION_SECONDS) * 1000)
        await self._archive.sessions.add(_token_hash(token), user.id, csrf_token, expires_at_ms)
        return NewSession(token, csrf_token, user, expires_at_ms)

    async def session(self, token: str) -> Session | None:
        return await self._archive.sessions.find(_token_hash(token))

    async def log_out(self, token: str) -> None:
        await self._archive.sessions.remove(_token_hash(token))

    async def log_out_everywhere(self, user: User) -> None:
        await self._archive.sessions.remove_all_of(user.id)

    def _verifies(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
