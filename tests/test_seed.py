"""`python -m feedback seed`: a made-up archive written through the flusher's statements, so
that every aggregate the dashboard reads matches the votes, as after real flushes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from feedback.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ["seed", "--events", "4000", "--articles", "150", "--site", "bao-mau", "--days", "30", "--comments", "300"]


def feedback(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"FEEDBACK_DB": settings.database_path, "REDIS_URL": settings.redis_url}
    return subprocess.run(
        [sys.executable, "-m", "feedback", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    database = tmp_path_factory.mktemp("seed") / "seeded.sqlite3"
    result = feedback(Settings.from_env({"FEEDBACK_DB": str(database), "REDIS_URL": ""}), *SEED)
    assert result.returncode == 0, result.stderr
    assert "seeded site bao-mau: 4,000 vote events over 150 articles and 300 comments" in result.stdout
    return sqlite3.connect(database)


def test_summed_days_and_article_totals_are_the_votes_histogram(seeded: sqlite3.Connection) -> None:
    votes = seeded.execute(
        "SELECT article, score, count(*) FROM votes WHERE score IS NOT NULL AND NOT suspect GROUP BY article, score"
    ).fetchall()
    days = seeded.execute(
        "SELECT article, score, total FROM (SELECT article, 1 AS score, sum(delta_1) AS total FROM daily_votes "
        "GROUP BY article UNION ALL SELECT article, 2, sum(delta_2) FROM daily_votes GROUP BY article "
        "UNION ALL SELECT article, 3, sum(delta_3) FROM daily_votes GROUP BY article "
        "UNION ALL SELECT article, 4, sum(delta_4) FROM daily_votes GROUP BY article "
        "UNION ALL SELECT article, 5, sum(delta_5) FROM daily_votes GROUP BY article) WHERE total != 0"
    ).fetchall()
    totals = seeded.execute(
        "SELECT article, score, total FROM (SELECT article, 1 AS score, count_1 AS total FROM article_votes "
        "UNION ALL SELECT article, 2, count_2 FROM article_votes UNION ALL SELECT article, 3, count_3 FROM "
        "article_votes UNION ALL SELECT article, 4, count_4 FROM article_votes UNION ALL SELECT article, 5, "
        "count_5 FROM article_votes) WHERE total != 0"
    ).fetchall()
    assert len(votes) > 300
    assert sorted(days) == sorted(votes) == sorted(totals)
    site_days = seeded.execute("SELECT day, given_1, delta_5, changes FROM site_days ORDER BY day").fetchall()
    summed = seeded.execute(
        "SELECT day, sum(given_1), sum(delta_5), sum(changes) FROM daily_votes GROUP BY day ORDER BY day"
    ).fetchall()
    assert site_days == summed and 25 <= len(site_days) <= 31


def test_readers_change_and_withdraw_votes_and_popularity_is_skewed(seeded: sqlite3.Connection) -> None:
    kinds = dict(
        seeded.execute(
            "SELECT CASE WHEN old_score IS NULL THEN 'new' WHEN new_score IS NULL THEN 'withdrawn' ELSE 'changed' END, "
            "count(*) FROM vote_events GROUP BY 1"
        ).fetchall()
    )
    assert kinds["new"] > 3000 and kinds["changed"] > 100 and kinds["withdrawn"] > 20
    per_article = [
        n for (n,) in seeded.execute("SELECT count(*) FROM vote_events GROUP BY article_key ORDER BY 1 DESC")
    ]
    assert per_article[0] > 10 * per_article[len(per_article) // 2]
    assert seeded.execute("SELECT count(*) FROM vote_events WHERE suspect").fetchone()[0] > 0
    # Suspect votes wait for review with the label of the address cluster that made them suspect.
    (awaiting, labelled) = seeded.execute(
        "SELECT count(*), count(cluster) FROM votes WHERE suspect AND score IS NOT NULL AND review IS NULL"
    ).fetchone()
    assert awaiting > 0 and labelled == awaiting


def test_articles_have_titles_some_vietnamese_and_comments_every_status(seeded: sqlite3.Connection) -> None:
    titles = [title for (title,) in seeded.execute("SELECT title FROM articles WHERE title IS NOT NULL")]
    assert 100 < len(titles) < 150  # some articles have no title: the dashboard shows their id
    assert any(not title.isascii() for title in titles) and any(title.isascii() for title in titles)
    urls = [url for (url,) in seeded.execute("SELECT url FROM articles")]
    assert all(url.startswith("https://bao-mau.example/") for url in urls)
    statuses = dict(seeded.execute("SELECT status, count(*) FROM comments GROUP BY status").fetchall())
    assert set(statuses) == {"pending", "approved", "rejected", "spam"} and sum(statuses.values()) == 300
    (stale,) = seeded.execute("SELECT count(*) FROM stale_articles").fetchone()
    assert stale == 150  # Redis's copies of the seeded articles, if any, are dropped before use


def test_seed_creates_the_site_through_the_services_audited(seeded: sqlite3.Connection) -> None:
    assert seeded.execute("SELECT id, time_zone FROM sites").fetchall() == [("bao-mau", "Asia/Ho_Chi_Minh")]
    assert seeded.execute("SELECT actor, action, site FROM audit_log").fetchall() == [("cli", "site.save", "bao-mau")]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--articles", "10"], "the following arguments are required: --events"),
        (["--events", "10"], "the following arguments are required: --articles"),
        (["--events", "0", "--articles", "10"], "a whole number of at least 1"),
        (["--events", "ten", "--articles", "10"], "a whole number of at least 1"),
        (["--events", "10", "--articles", "10", "--days", "-3"], "a whole number of at least 1"),
        (["--events", "10", "--articles", "10", "--days", "3651"], "at most 3650 days"),
        (["--events", "10", "--articles", "10", "--comments", "-1"], "a whole number of at least 0"),
        (["--events", "10", "--articles", "10", "--site", "Bad Site"], "--site"),
    ],
)
def test_seed_refuses_bad_arguments_and_writes_nothing(settings: Settings, arguments: list[str], message: str) -> None:
    result = feedback(settings, "seed", *arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert not Path(settings.database_path).exists()
