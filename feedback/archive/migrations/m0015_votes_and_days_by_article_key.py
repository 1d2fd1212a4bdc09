"""Each reader's vote and each article-day are stored by the article's integer key
(`votes_by_key`, `daily_votes_by_key`) instead of repeating its site and article text in every
row and key: the flusher writes a row of each per event of a backlog, and a key is shorter to
store and to compare (docs/performance.md). `votes` and `daily_votes` stay as views with the
columns they had, for every reader; the flusher and editors' decisions write the tables behind
them. Each article's totals (`article_votes`) gain its key."""

_SCORES = range(1, 6)
_VOTE_COLUMNS = "reader, score, version, updated_at, suspect, cluster, review"
# `votes` and `points` first: the overview reads only them (migration 12).
_DAY_COLUMNS = ", ".join(
    ["votes", "points", *(f"given_{s}" for s in _SCORES), *(f"delta_{s}" for s in _SCORES), "changes"]
)
_ARTICLE_COLUMNS = ", ".join([*(f"count_{s}" for s in _SCORES), "last_at"])


def _prefixed(columns: str, table: str) -> str:
    return ", ".join(f"{table}.{column}" for column in columns.split(", "))


STATEMENTS = (
    # Every article with a stored vote, days or totals gets a key, even one without an event (a
    # withdrawal of a vote never given stores a vote and logs nothing).
    "INSERT INTO article_keys (site, article) SELECT site, article FROM votes "
    "UNION SELECT site, article FROM daily_votes UNION SELECT site, article FROM article_votes "
    "EXCEPT SELECT site, article FROM article_keys ORDER BY 1, 2",
    """
    CREATE TABLE votes_by_key (
        article_key INTEGER NOT NULL,
        reader TEXT NOT NULL,
        score INTEGER CHECK (score BETWEEN 1 AND 5),
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        suspect INTEGER NOT NULL DEFAULT 0,
        cluster TEXT,
        review TEXT CHECK (review IN ('accepted', 'discarded')),
        PRIMARY KEY (article_key, reader)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO votes_by_key (article_key, {_VOTE_COLUMNS}) SELECT k.id, {_prefixed(_VOTE_COLUMNS, 'v')} "
    "FROM votes AS v JOIN article_keys AS k ON k.site = v.site AND k.article = v.article ORDER BY k.id, v.reader",
    "DROP TABLE votes",
    f"CREATE VIEW votes AS SELECT k.site, k.article, {_prefixed(_VOTE_COLUMNS, 'v')} "
    "FROM votes_by_key AS v JOIN article_keys AS k ON k.id = v.article_key",
    # The review list, newest first, with the columns its condition tests (migration 13); a
    # site's votes in it are found through their keys' site, the list being short.
    "CREATE INDEX votes_awaiting_review ON votes_by_key (updated_at, article_key, suspect, score, review) "
    "WHERE suspect AND score IS NOT NULL AND review IS NULL",
    f"""
    CREATE TABLE daily_votes_by_key (
        article_key INTEGER NOT NULL,
        day INTEGER NOT NULL,
        {", ".join(f"{column} INTEGER NOT NULL" for column in _DAY_COLUMNS.split(", "))},
        PRIMARY KEY (article_key, day)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO daily_votes_by_key (article_key, day, {_DAY_COLUMNS}) "
    f"SELECT k.id, d.day, {_prefixed(_DAY_COLUMNS, 'd')} FROM daily_votes AS d "
    "JOIN article_keys AS k ON k.site = d.site AND k.article = d.article ORDER BY k.id, d.day",
    "DROP TABLE daily_votes",
    f"CREATE VIEW daily_votes AS SELECT k.site, k.article, d.day, {_prefixed(_DAY_COLUMNS, 'd')} "
    "FROM daily_votes_by_key AS d JOIN article_keys AS k ON k.id = d.article_key",
    # An article's totals stay keyed by site and article, the order the articles list and
    # the overview's rankings read a site's articles in, and name the article's key, which leads
    # the rankings to its days.
    f"""
    CREATE TABLE article_votes_new (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        article_key INTEGER NOT NULL,
        {", ".join(f"{column} INTEGER NOT NULL" for column in _ARTICLE_COLUMNS.split(", "))},
        PRIMARY KEY (site, article)
    ) WITHOUT ROWID
    """,
    f"INSERT INTO article_votes_new (site, article, article_key, {_ARTICLE_COLUMNS}) "
    f"SELECT a.site, a.article, k.id, {_prefixed(_ARTICLE_COLUMNS, 'a')} FROM article_votes AS a "
    "JOIN article_keys AS k ON k.site = a.site AND k.article = a.article ORDER BY a.site, a.article",
    "DROP TABLE article_votes",
    "ALTER TABLE article_votes_new RENAME TO article_votes",
)
