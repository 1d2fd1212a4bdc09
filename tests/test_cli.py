"""`python -m feedback`: sites, comments and flushing, as an operator types them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from feedback.settings import Settings
from tests.support import READER, SITE, LiveServer, free_port

ROOT = Path(__file__).resolve().parent.parent


def feedback(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"FEEDBACK_DB": settings.database_path, "REDIS_URL": settings.redis_url}
    return subprocess.run(
        [sys.executable, "-m", "feedback", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["site"],
        ["site", "add"],
        ["site", "list"],
        ["flush"],
        ["comments"],
        ["comments", "list"],
        ["comments", "approve"],
        ["comments", "delete"],
        ["user"],
        ["user", "add"],
        ["user", "list"],
        ["user", "password"],
        ["seed"],
        ["backup"],
        ["restore"],
    ],
)
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
    assert listing.stdout.splitlines() == [
        "bao-moi\thttps://baomoi.example.vn http://localhost:8080\tpre\t\tstars\tAsia/Ho_Chi_Minh"
    ]


def test_site_add_again_replaces_only_the_settings_given(settings: Settings) -> None:
    feedback(settings, "site", "add", "bao-moi", "--origin", "https://a.example", "--blocked-word", "cờ bạc")
    feedback(settings, "site", "add", "bao-moi", "--origin", "https://b.example")
    assert feedback(settings, "site", "list").stdout.splitlines() == [
        "bao-moi\thttps://b.example\tpre\tcờ bạc\tstars\tAsia/Ho_Chi_Minh"
    ]
    feedback(settings, "site", "add", "bao-moi", "--moderation", "post", "--blocked-word", "x", "--blocked-word", "y")
    assert feedback(settings, "site", "list").stdout.splitlines() == [
        "bao-moi\thttps://b.example\tpost\tx, y\tstars\tAsia/Ho_Chi_Minh"
    ]
    feedback(
        settings, "site", "add", "bao-moi", "--no-blocked-words", "--scale", "helpful", "--time-zone", "Asia/Tokyo"
    )
    assert feedback(settings, "site", "list").stdout.splitlines() == [
        "bao-moi\thttps://b.example\tpost\t\thelpful\tAsia/Tokyo"
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["site", "add", "Bad_Site", "--origin", "https://a.example"], "site id"),
        (["site", "add", "ok", "--origin", "ftp://a.example"], "origin"),
        (["site", "add", "ok", "--origin", "https://a.example/path"], "origin"),
        (["site", "add", "ok"], "--origin"),
        (["site", "add", "ok", "--origin", "https://a.example", "--moderation", "later"], "--moderation"),
        (["site", "add", "ok", "--origin", "https://a.example", "--scale", "likes"], "--scale"),
        (["site", "add", "ok", "--origin", "https://a.example", "--blocked-word", " "], "blocked word"),
        (["site", "add", "ok", "--origin", "https://a.example", "--time-zone", "Mars/Olympus"], "time zone"),
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


def test_unreachable_redis_is_named_without_its_passwords(settings: Settings) -> None:
    url = f"redis+sentinel://:hunter2@127.0.0.1:{free_port()}/mymaster?sentinel_password=hunter3"
    result = feedback(replace(settings, redis_url=url), "flush")
    assert result.returncode == 1
    assert "error: Redis at redis+sentinel://:***@127.0.0.1:" in result.stderr
    assert "hunter2" not in result.stderr
    assert "hunter3" not in result.stderr


async def test_flush_moves_pending_votes_into_sqlite(live: LiveServer) -> None:
    await live.vote("bài-1", READER, 4)
    result = feedback(live.settings, "flush")
    assert result.returncode == 0, result.stderr
    assert "flushed 1 event (votes and comments)" in result.stdout
    with sqlite3.connect(live.settings.database_path) as db:
        assert db.execute("SELECT site, article, reader, score FROM votes").fetchall() == [(SITE, "bài-1", READER, 4)]


async def test_comments_list_and_moderation(live: LiveServer) -> None:
    comments_url = live.article_url("bài-1") + "/comments"
    posted = []
    for number, body in enumerate(["Hay quá!", "Dòng một\nDòng hai", "<b>spam</b>"]):
        response = await live.client.post(comments_url, json={"reader": READER, "body": body, "author": f"A{number}"})
        assert response.status_code == 202, response.text
        posted.append(response.json()["id"])
    assert feedback(live.settings, "flush").returncode == 0

    listing = feedback(live.settings, "comments", "list", SITE, "--status", "pending")
    lines = [line.split("\t") for line in listing.stdout.splitlines()]
    assert [line[0] for line in lines] == posted[::-1]  # newest first
    assert lines[1][1:2] + lines[1][3:] == ["pending", "bài-1", "A1", "Dòng một\\nDòng hai"]

    assert feedback(live.settings, "comments", "approve", posted[0], posted[1]).stdout == "approve: 2 comments\n"
    assert feedback(live.settings, "comments", "spam", posted[2]).returncode == 0
    as_json = json.loads(feedback(live.settings, "comments", "list", SITE, "--json").stdout)
    assert {comment["id"]: comment["status"] for comment in as_json} == {
        posted[0]: "approved",
        posted[1]: "approved",
        posted[2]: "spam",
    }
    assert as_json[1]["body"] == "Dòng một\nDòng hai"
    public = (await live.client.get(comments_url)).json()
    assert [comment["id"] for comment in public["comments"]] == posted[1::-1]

    assert feedback(live.settings, "flush").returncode == 0  # refreshes Redis's count of the article
    assert (await live.summary("bài-1"))["comments"] == 2

    deleted = feedback(live.settings, "comments", "delete", posted[0], "0" * 20)
    assert deleted.returncode == 1
    assert deleted.stdout == "delete: 1 comment\n"
    assert f"no comment {'0' * 20}" in deleted.stderr
    assert [c["id"] for c in json.loads(feedback(live.settings, "comments", "list", SITE, "--json").stdout)] == [
        posted[2],
        posted[1],
    ]


def test_comments_list_names_the_database_when_the_site_is_not_in_it(settings: Settings) -> None:
    result = feedback(settings, "comments", "list", "no-such-site")
    assert result.returncode == 1
    assert f"no site no-such-site in {settings.database_path}" in result.stderr


def test_comments_commands_reject_bad_ids(settings: Settings) -> None:
    result = feedback(settings, "comments", "approve", "not-an-id")
    assert result.returncode == 2
    assert "comment id" in result.stderr
