"""Sites, readers' current votes, the vote event log and the flusher's bookkeeping."""

STATEMENTS = (
    """
    CREATE TABLE sites (
        id TEXT PRIMARY KEY,
        origins TEXT NOT NULL,          -- JSON array of canonical origins
        created_at INTEGER NOT NULL     -- unix milliseconds
    )
    """,
    # One row per reader and article; a withdrawn vote keeps its row (score NULL) so that its
    # version still wins over older events arriving late.
    """
    CREATE TABLE votes (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        reader TEXT NOT NULL,
        score INTEGER CHECK (score BETWEEN 1 AND 5),
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (site, article, reader)
    ) WITHOUT ROWID
    """,
    # Append-only: old_score NULL = a new vote, new_score NULL = a withdrawn one.
    """
    CREATE TABLE vote_events (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        reader TEXT NOT NULL,
        old_score INTEGER,
        new_score INTEGER,
        at INTEGER NOT NULL
    )
    """,
    "CREATE INDEX vote_events_by_article ON vote_events (site, article, at)",
    # The last Redis stream entry applied, per shard stream; `epoch` names the stream's lifetime
    # so that a wiped Redis (new stream, new epoch) is read from its start.
    """
    CREATE TABLE flush_positions (
        shard INTEGER PRIMARY KEY,
        epoch TEXT NOT NULL,
        last_id TEXT NOT NULL
    )
    """,
    # Articles voted on while Redis was unreachable: Redis's copy of them is stale until dropped.
    """
    CREATE TABLE direct_articles (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        mark INTEGER NOT NULL,
        PRIMARY KEY (site, article)
    ) WITHOUT ROWID
    """,
)
