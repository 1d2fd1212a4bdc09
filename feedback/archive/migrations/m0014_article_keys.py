"""Articles get integer keys (`article_keys`), and the event log names its article by key:
`vote_events` repeated the site and article text in every row and again in its two indexes
(by article, by site), the largest part of the archive and of the flusher's writes
(docs/performance.md). The by-site index goes: an export of a site's events reads the log in
order and keeps its articles', and nothing else reads a site's events but by article."""

_EVENT_COLUMNS = "reader, old_score, new_score, at, suspect, review"

STATEMENTS = (
    # Every article with a vote event; the flusher adds one the first time it applies a vote of
    # it. Keys are never reused or changed: a row is never deleted.
    """
    CREATE TABLE article_keys (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        UNIQUE (site, article)
    )
    """,
    "INSERT INTO article_keys (site, article) SELECT DISTINCT site, article FROM vote_events ORDER BY site, article",
    # Append-only: old_score NULL = a new vote, new_score NULL = a withdrawn one.
    """
    CREATE TABLE vote_events_new (
        id INTEGER PRIMARY KEY,
        article_key INTEGER NOT NULL,
        reader TEXT NOT NULL,
        old_score INTEGER,
        new_score INTEGER,
        at INTEGER NOT NULL,
        suspect INTEGER NOT NULL DEFAULT 0,
        review TEXT CHECK (review IN ('accepted', 'discarded'))
    )
    """,
    f"INSERT INTO vote_events_new (id, article_key, {_EVENT_COLUMNS}) "
    f"SELECT e.id, k.id, {', '.join(f'e.{column}' for column in _EVENT_COLUMNS.split(', '))} "
    "FROM vote_events AS e JOIN article_keys AS k ON k.site = e.site AND k.article = e.article ORDER BY e.id",
    "DROP TABLE vote_events",
    "ALTER TABLE vote_events_new RENAME TO vote_events",
    "CREATE INDEX vote_events_by_article ON vote_events (article_key, at)",
    # A decision on suspect votes finds their events here; counted events never enter it.
    "CREATE INDEX vote_events_suspect ON vote_events (article_key, reader) WHERE suspect",
)
