"""Comments and their moderation, per-site moderation settings, and suspect votes."""

STATEMENTS = (
    # pre: a comment shows once an editor approves it; post: at once, removable later.
    "ALTER TABLE sites ADD COLUMN moderation TEXT NOT NULL DEFAULT 'pre' CHECK (moderation IN ('pre', 'post'))",
    "ALTER TABLE sites ADD COLUMN blocked_words TEXT NOT NULL DEFAULT '[]'",  # a JSON array of words
    # A suspect vote (one address past its cap of distinct readers) is kept for editors to
    # review but counts in no public summary.
    "ALTER TABLE votes ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE vote_events ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0",
    # Ids sort by creation time (12 hex digits of milliseconds, then 8 random ones): newest
    # first is `ORDER BY id DESC`, and an id is a page cursor.
    """
    CREATE TABLE comments (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        reader TEXT NOT NULL,
        author TEXT,
        body TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
        created_at INTEGER NOT NULL,    -- unix milliseconds
        moderated_at INTEGER            -- unix milliseconds of the last editor's decision
    ) WITHOUT ROWID
    """,
    # Pages walk an article's comments newest first and stop at their limit; counts and editors'
    # lists look up one status.
    "CREATE INDEX comments_by_article ON comments (site, article, id)",
    "CREATE INDEX comments_by_article_status ON comments (site, article, status)",
    "CREATE INDEX comments_by_status ON comments (site, status, id)",
    # Articles changed in SQLite behind Redis's back: Redis's copy of them is stale until dropped
    # (votes during an outage) or until its approved comments are counted again (moderation).
    "ALTER TABLE direct_articles RENAME TO stale_articles",
    "ALTER TABLE stale_articles ADD COLUMN votes_changed INTEGER NOT NULL DEFAULT 1",
)
