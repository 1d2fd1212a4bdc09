"""Dashboard users: added and managed from the command line, argon2id passwords, server-side
sessions, and lockouts after failed logins."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from feedback.archive import Archive
from feedback.errors import LoginLocked, LoginRefused
from feedback.services.accounts import LOCKOUT_FAILURES, Accounts
from feedback.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mật-khẩu-đủ-dài"
EMAIL = "bientap@baomoi.example.vn"


def feedback(settings: Settings, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = os.environ | {"FEEDBACK_DB": settings.database_path, "REDIS_URL": ""}
    command = [sys.executable, "-m", "feedback", *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def add_user(settings: Settings, email: str = EMAIL, *options: str) -> subprocess.CompletedProcess[str]:
    arguments = options or ("--role", "editor", "--site", "baomoi")
    return feedback(settings, "user", "add", email, *arguments, "--password-stdin", stdin=PASSWORD + "\n")


def test_user_add_stores_an_argon2id_hash_never_the_password(settings: Settings) -> None:
    result = add_user(settings, "BienTap@BaoMoi.example.vn", "--role", "editor", "--site", "baomoi", "--lang", "vi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{EMAIL}\teditor\tbaomoi\tvi\n"
    with sqlite3.connect(settings.database_path) as db:
        (stored,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_user_list_remove_and_password(settings: Settings) -> None:
    add_user(settings)
    admin = add_user(settings, "admin@baomoi.example.vn", "--role", "admin")
    assert admin.returncode == 0, admin.stderr
    listing = feedback(settings, "user", "list").stdout.splitlines()
    assert listing == ["admin@baomoi.example.vn\tadmin\t*\t-", f"{EMAIL}\teditor\tbaomoi\t-"]
    changed = feedback(settings, "user", "password", EMAIL, "--password-stdin", stdin="một-mật-khẩu-mới\n")
    assert changed.returncode == 0, changed.stderr
    assert feedback(settings, "user", "remove", EMAIL).returncode == 0
    assert feedback(settings, "user", "list").stdout.splitlines() == ["admin@baomoi.example.vn\tadmin\t*\t-"]
    missing = feedback(settings, "user", "remove", EMAIL)
    assert missing.returncode == 1
    assert "no user" in missing.stderr
    with sqlite3.connect(settings.database_path) as db:
        actions = [action for (action,) in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["user.add", "user.add", "user.password", "user.remove"]


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["user", "add", "not-an-email", "--role", "admin"], PASSWORD, "e-mail"),
        (["user", "add", EMAIL, "--role", "owner"], PASSWORD, "--role"),
        (["user", "add", EMAIL, "--role", "admin", "--site", "baomoi"], PASSWORD, "An admin has every site"),
        (["user", "add", EMAIL, "--role", "viewer"], PASSWORD, "needs at least one site"),
        (["user", "add", EMAIL, "--role", "admin"], "short", "10-1024 characters"),
        (["user", "add", EMAIL, "--role", "admin", "--lang", "fr"], PASSWORD, "--lang"),
    ],
)
def test_user_add_refuses_bad_input_and_stores_nothing(
    settings: Settings, arguments: list[str], stdin: str, message: str
) -> None:
    result = feedback(settings, *arguments, "--password-stdin", stdin=stdin + "\n")
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert feedback(settings, "user", "list").stdout == ""


def test_a_taken_email_is_refused(settings: Settings) -> None:
    add_user(settings)
    again = add_user(settings, EMAIL.upper())
    assert again.returncode == 1
    assert "already" in again.stderr


@pytest.fixture
async def accounts(settings: Settings) -> AsyncIterator[tuple[Accounts, Archive]]:
    async with await Archive.open(settings.database_path) as archive:
        accounts = Accounts(archive)
        await accounts.add(EMAIL, PASSWORD, "editor", ["baomoi"], None, "test")
        yield accounts, archive


async def test_a_login_makes_a_session_that_logging_out_ends(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    session = await service.log_in(EMAIL, PASSWORD, "address-1")
    found = await service.session(session.token)
    assert found is not None
    assert found.user.email == EMAIL and found.user.sites == ("baomoi",)
    assert found.csrf_token == session.csrf_token
    assert found.user.may_moderate("baomoi") and not found.user.may_read("other-site")
    await service.log_out(session.token)
    assert await service.session(session.token) is None


async def test_logging_out_everywhere_and_a_new_password_end_every_session(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    first, second = [await service.log_in(EMAIL, PASSWORD, "address-1") for _ in range(2)]
    await service.log_out_everywhere(first.user)
    assert await service.session(first.token) is None
    assert await service.session(second.token) is None
    third = await service.log_in(EMAIL, PASSWORD, "address-1")
    await service.set_password(EMAIL, "một-mật-khẩu-mới", "test")
    assert await service.session(third.token) is None
    with pytest.raises(LoginRefused):
        await service.log_in(EMAIL, PASSWORD, "address-1")
    assert (await service.log_in(EMAIL, "một-mật-khẩu-mới", "address-1")).user.email == EMAIL


async def test_a_removed_users_sessions_end(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    session = await service.log_in(EMAIL, PASSWORD, "address-1")
    await service.remove(EMAIL, "test")
    assert await service.session(session.token) is None


async def test_an_expired_session_is_no_session(accounts: tuple[Accounts, Archive], settings: Settings) -> None:
    service, _ = accounts
    session = await service.log_in(EMAIL, PASSWORD, "address-1")
    with sqlite3.connect(settings.database_path) as db:
        db.execute("UPDATE sessions SET expires_at = 1")
    assert await service.session(session.token) is None


async def test_the_archive_holds_no_usable_session_token(
    accounts: tuple[Accounts, Archive], settings: Settings
) -> None:
    service, _ = accounts
    session = await service.log_in(EMAIL, PASSWORD, "address-1")
    with sqlite3.connect(settings.database_path) as db:
        (stored,) = db.execute("SELECT token_hash FROM sessions").fetchone()
    assert session.token not in stored


async def test_wrong_password_and_unknown_email_are_refused_alike(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    for email, password in ((EMAIL, "wrong-password"), ("nobody@baomoi.example.vn", PASSWORD)):
        with pytest.raises(LoginRefused) as refused:
            await service.log_in(email, password, "address-1")
        assert str(refused.value) == ""


async def test_an_account_locks_after_five_failures_even_for_the_right_password(
    accounts: tuple[Accounts, Archive],
) -> None:
    service, _ = accounts
    for number in range(LOCKOUT_FAILURES):
        with pytest.raises(LoginRefused):
            await service.log_in(EMAIL, "wrong-password", f"address-{number}")
    with pytest.raises(LoginLocked):
        await service.log_in(EMAIL, PASSWORD, "address-new")


async def test_an_address_locks_after_five_failures_whichever_accounts(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    for number in range(LOCKOUT_FAILURES):
        with pytest.raises(LoginRefused):
            await service.log_in(f"guess-{number}@baomoi.example.vn", PASSWORD, "address-1")
    with pytest.raises(LoginLocked):
        await service.log_in(EMAIL, PASSWORD, "address-1")
    assert (await service.log_in(EMAIL, PASSWORD, "address-2")).user.email == EMAIL


async def test_a_success_forgives_the_accounts_earlier_failures(accounts: tuple[Accounts, Archive]) -> None:
    service, _ = accounts
    for number in range(LOCKOUT_FAILURES - 1):
        with pytest.raises(LoginRefused):
            await service.log_in(EMAIL, "wrong-password", f"address-{number}")
    await service.log_in(EMAIL, PASSWORD, "address-9")
    with pytest.raises(LoginRefused):
        await service.log_in(EMAIL, "wrong-password", "address-10")
    assert (await service.log_in(EMAIL, PASSWORD, "address-11")).user.email == EMAIL
