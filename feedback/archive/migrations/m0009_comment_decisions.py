"""Editors' decisions on comments still waiting in Redis, kept until the flusher brings the
comment: it is then stored as decided (or not at all, when deleted) in the same transaction."""

STATEMENTS = (
    """
    CREATE TABLE comment_decisions (
        id TEXT PRIMARY KEY,            -- the comment's id
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        status TEXT CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),  -- NULL: deleted
        decided_at INTEGER NOT NULL     -- unix milliseconds
    ) WITHOUT ROWID
    """,
)
