"""`daily_votes` keyed by article first, `(site, article, day)`, instead of by day: the overview
ranks a period's articles by reading each article's run of days in key order, no sort of the
period's article-days (docs/performance.md), and the flush writes one B-tree per article-day
instead of two (the by-article index goes; nothing reads a site's days across articles but
`site_days`). Every article with days gets a row in `article_votes`, which leads that reading."""

_SCORES = range(1, 6)
# `votes` and `points` first: the overview reads only them, and SQLite decodes a row's columns
# from the left up to the last one a query reads.
_COLUMNS = ", ".join(["votes", "points", *(f"given_{s}" for s in _SCORES), *(f"delta_{s}" for s in _SCORES), "changes"])

STATEMENTS = (
    f"""
    CREATE TABLE daily_votes_new (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        day INTEGER NOT NULL,
        {", ".join(f"{column} INTEGER NOT NULL" for column in _COLUMNS.split(", "))},
        PRIMARY KEY (site, article, day)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO daily_votes_new (site, article, day, {_COLUMNS}) "
    f"SELECT site, article, day, {_COLUMNS} FROM daily_votes ORDER BY site, article, day",
    "DROP TABLE daily_votes",
    "ALTER TABLE daily_votes_new RENAME TO daily_votes",
    # The flusher adds a row for every article it adds days of; an archive carried over from
    # before the article totals may lack one whose votes are all suspect or gone now.
    f"INSERT OR IGNORE INTO article_votes (site, article, {', '.join(f'count_{s}' for s in _SCORES)}, last_at) "
    "SELECT site, article, 0, 0, 0, 0, 0, coalesce((SELECT max(at) FROM vote_events AS e "
    "WHERE e.site = d.site AND e.article = d.article AND NOT e.suspect), 0) "
    "FROM (SELECT DISTINCT site, article FROM daily_votes) AS d",
)
