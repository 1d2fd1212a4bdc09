"""Per-article totals and per-site days, kept by the flusher in the same transaction as the
events (beside `daily_votes`), so that no dashboard page groups the `votes` table or a site's
every article-day; and comments and vote events by site in id order, for exports and the
overview's counts."""

_SCORES = range(1, 6)
_COUNTS = ", ".join(f"count_{score}" for score in _SCORES)
_SUM_COUNTS = ", ".join(f"sum(coalesce(score, 0) = {score})" for score in _SCORES)
_DAY_COLUMNS = ", ".join([*(f"given_{s}" for s in _SCORES), *(f"delta_{s}" for s in _SCORES), "changes"])
_SUM_DAY_COLUMNS = ", ".join(f"sum({column})" for column in _DAY_COLUMNS.split(", "))

STATEMENTS = (
    # Each article's counted votes (set, not suspect) by score now, as `votes` holds them, and the
    # time of the last change of a vote that counts or counted (unix ms).
    f"""
    CREATE TABLE article_votes (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        {", ".join(f"count_{score} INTEGER NOT NULL" for score in _SCORES)},
        last_at INTEGER NOT NULL,
        PRIMARY KEY (site, article)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO article_votes (site, article, {_COUNTS}, last_at) "
    f"SELECT site, article, {_SUM_COUNTS}, 0 FROM votes WHERE NOT suspect GROUP BY site, article",
    "UPDATE article_votes SET last_at = coalesce((SELECT max(at) FROM vote_events AS e "
    "WHERE e.site = article_votes.site AND e.article = article_votes.article AND NOT e.suspect), 0)",
    # A site's `daily_votes` summed over its articles, per local day.
    f"""
    CREATE TABLE site_days (
        site TEXT NOT NULL,
        day INTEGER NOT NULL,
        {", ".join(f"{column} INTEGER NOT NULL" for column in _DAY_COLUMNS.split(", "))},
        PRIMARY KEY (site, day)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO site_days (site, day, {_DAY_COLUMNS}) "
    f"SELECT site, day, {_SUM_DAY_COLUMNS} FROM daily_votes GROUP BY site, day",
    "CREATE INDEX comments_by_site ON comments (site, id)",
    # A site's events in id order (the index holds the rowid): an export's pages read on from
    # the last id instead of sorting the site's every event per page.
    "CREATE INDEX vote_events_by_site ON vote_events (site)",
)
