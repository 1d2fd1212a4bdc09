"""`python -m feedback`: sites and flushing, as an operator types them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from feedback.settings import Settings
from tests.conftest import READER, SITE, LiveServer

ROOT = Path(__file__).resolve().parent.parent


def feedback(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"FEEDBACK_DB": settings.database_path, "REDIS_URL": settings.redis_url}
    return subprocess.run(
        [sys.executable, "-m", "feedback", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", [[], ["site"], ["site", "add"], ["site", "list"], ["flush"]])
def test_every_command_has_help(settings: Settings, command: list[str]) -> None:
    result = feedback(settings, *command, "--help")
    assert result.returncode == 0
    assert "usage: python -m feedback" in result.stdout


def test_site_add_creates_the_database_and_site_list_shows_it(settings: Settings) -> None:
    assert not Path(settings.database_path).exists()
    result = feedback(
        settings,
        "site",
        "add",
        "bao-moi",
        "--origin",
        "https://BaoMoi.example.vn/",
        "--origin",
        "http://localhost:8080",
    )
    assert result.returncode == 0, result.stderr
    listing = feedback(settings, "site", "list")
    assert listing.stdout.splitlines() == ["bao-moi\thttps://baomoi.example.vn http://localhost:8080"]


def test_site_add_again_replaces_the_origins(settings: Settings) -> None:
    feedback(settings, "site", "add", "bao-moi", "--origin", "https://a.example")
    feedback(settings, "site", "add", "bao-moi", "--origin", "https://b.example")
    assert feedback(settings, "site", "list").stdout.splitlines() == ["bao-moi\thttps://b.example"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["site", "add", "Bad_Site", "--origin", "https://a.example"], "site id"),
        (["site", "add", "ok", "--origin", "ftp://a.example"], "origin"),
        (["site", "add", "ok", "--origin", "https://a.example/path"], "origin"),
        (["site", "add", "ok"], "--origin"),
    ],
)
def test_site_add_rejects_bad_input_and_stores_nothing(settings: Settings, arguments: list[str], message: str) -> None:
    result = feedback(settings, *arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert feedback(settings, "site", "list").stdout == ""


def test_bad_setting_is_named(settings: Settings) -> None:
    env = os.environ | {"FEEDBACK_DB": settings.database_path, "FEEDBACK_FLUSH_SECONDS": "soon"}
    result = subprocess.run(
        [sys.executable, "-m", "feedback", "site", "list"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "FEEDBACK_FLUSH_SECONDS" in result.stderr


async def test_flush_moves_pending_votes_into_sqlite(live: LiveServer) -> None:
    await live.vote("bài-1", READER, 4)
    result = feedback(live.settings, "flush")
    assert result.returncode == 0, result.stderr
    assert "flushed 1 vote events" in result.stdout
    with sqlite3.connect(live.settings.database_path) as db:
        assert db.execute("SELECT site, article, reader, score FROM votes").fetchall() == [(SITE, "bài-1", READER, 4)]
