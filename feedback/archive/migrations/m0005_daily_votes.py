"""Per-day aggregates of counted votes, kept by the flusher in the same transaction as the
events they sum (so that the dashboard's trends never scan the event log)."""

_DELTAS = ", ".join(
    f"sum((coalesce(new_score, 0) = {score}) - (coalesce(old_score, 0) = {score}))" for score in range(1, 6)
)

STATEMENTS = (
    # The change, that UTC day (unix ms // 86,400,000), of each score's count of counted votes;
    # summed over all days, an article's histogram. `changes` counts the events.
    """
    CREATE TABLE daily_votes (
        site TEXT NOT NULL,
        article TEXT NOT NULL,
        day INTEGER NOT NULL,
        delta_1 INTEGER NOT NULL,
        delta_2 INTEGER NOT NULL,
        delta_3 INTEGER NOT NULL,
        delta_4 INTEGER NOT NULL,
        delta_5 INTEGER NOT NULL,
        changes INTEGER NOT NULL,
        PRIMARY KEY (site, article, day)
    ) WITHOUT ROWID
    """,
    # (site, day) queries, for site-wide trends, will want an index of their own.
    # The archive's events so far.
    "INSERT INTO daily_votes (site, article, day, delta_1, delta_2, delta_3, delta_4, delta_5, changes) "
    f"SELECT site, article, at / 86400000, {_DELTAS}, count(*) FROM vote_events WHERE NOT suspect "
    "GROUP BY site, article, at / 86400000",
)
