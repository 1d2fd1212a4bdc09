"""Sites get a time zone, and the per-day aggregates are rebuilt by the sites' local days, with
the scores given each day beside each score's net change. `local_day(zone, at)` is the SQL
function `Database.open` registers (feedback/local_days.py)."""

_SCORES = range(1, 6)
_GIVEN = ", ".join(f"sum(coalesce(new_score, 0) = {score})" for score in _SCORES)
_DELTAS = ", ".join(
    f"sum((coalesce(new_score, 0) = {score}) - (coalesce(old_score, 0) = {score}))" for score in _SCORES
)
_COLUMNS = ", ".join([*(f"given_{s}" for s in _SCORES), *(f"delta_{s}" for s in _SCORES)])

STATEMENTS = (
    "ALTER TABLE sites ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh'",
    "DROP TABLE daily_votes",
    # Per site, article and local day (days since 1970-01-01 in the site's time zone): given_N
    # counts the votes set to N that day (a changed vote counts at its new score), delta_N the
    # change of N's count of counted votes (summed over all days, the article's histogram), and
    # `changes` the events. Keyed by day first: site-wide figures read a run of days.
    """
    CREATE TABLE daily_votes (
        site TEXT NOT NULL,
        day INTEGER NOT NULL,
        article TEXT NOT NULL,
        given_1 INTEGER NOT NULL, given_2 INTEGER NOT NULL, given_3 INTEGER NOT NULL,
        given_4 INTEGER NOT NULL, given_5 INTEGER NOT NULL,
        delta_1 INTEGER NOT NULL, delta_2 INTEGER NOT NULL, delta_3 INTEGER NOT NULL,
        delta_4 INTEGER NOT NULL, delta_5 INTEGER NOT NULL,
        changes INTEGER NOT NULL,
        PRIMARY KEY (site, day, article)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX daily_votes_by_article ON daily_votes (site, article, day)",
    f"INSERT INTO daily_votes (site, day, article, {_COLUMNS}, changes) "
    "SELECT e.site, local_day(coalesce(s.time_zone, 'Asia/Ho_Chi_Minh'), e.at) AS local, e.article, "
    f"{_GIVEN}, {_DELTAS}, count(*) "
    "FROM vote_events AS e LEFT JOIN sites AS s ON s.id = e.site WHERE NOT e.suspect GROUP BY e.site, local, e.article",
)
