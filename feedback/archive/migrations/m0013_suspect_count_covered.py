"""The index of suspect votes awaiting review holds the columns its condition tests, so that
counting them (every overview shows the count) reads the index alone instead of looking each
vote up in `votes`: 33M -> 2M instructions for the 4,500 waiting on the seeded archive
(docs/performance.md). It holds only votes awaiting review, so the flusher writes it no more
often than before."""

STATEMENTS = (
    "DROP INDEX votes_awaiting_review",
    "CREATE INDEX votes_awaiting_review ON votes (site, updated_at, suspect, score, review) "
    "WHERE suspect AND score IS NOT NULL AND review IS NULL",
)
