"""Each article-day's counted votes given and their points (`votes`, `points`: the sums of
given_N and of N * given_N), kept beside the given_N columns by the flusher: the overview ranks
a period's articles from two columns instead of reading and adding five per row. No index of
them: the table's rows under (site, day) were measured as fast to read (docs/performance.md)."""

_SCORES = range(1, 6)
_VOTES = " + ".join(f"given_{score}" for score in _SCORES)
_POINTS = " + ".join(f"{score} * given_{score}" for score in _SCORES)

STATEMENTS = (
    "ALTER TABLE daily_votes ADD COLUMN votes INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE daily_votes ADD COLUMN points INTEGER NOT NULL DEFAULT 0",
    f"UPDATE daily_votes SET votes = {_VOTES}, points = {_POINTS}",
)
