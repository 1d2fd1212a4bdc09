"""Articles' titles and addresses, as their pages give them, and each site's rating scale."""

STATEMENTS = (
    # stars: 1 to 5; helpful: "Was this article helpful?", yes (5) or no (1).
    "ALTER TABLE sites ADD COLUMN scale TEXT NOT NULL DEFAULT 'stars' CHECK (scale IN ('stars', 'helpful'))",
    # The latest title and address the widget sent with a vote or a comment, for editors.
    """
    CREATE TABLE articles (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        title TEXT,
        url TEXT,
        updated_at INTEGER NOT NULL,    -- unix milliseconds of the vote or comment that said so
        PRIMARY KEY (site, article)
    ) WITHOUT ROWID
    """,
)
