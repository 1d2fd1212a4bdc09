"""Editors' review of suspect votes: the cluster label of the address that made a vote suspect,
and the editor's decision, on the vote and on its events."""

STATEMENTS = (
    # The first 10 hex digits of the SHA-1 of the day's address hash (hot/packing.py): readers
    # behind one address on one day share it; neither the address nor its hash is kept. NULL for
    # counted votes and for suspect ones older than this version.
    "ALTER TABLE votes ADD COLUMN cluster TEXT",
    # NULL: no decision. accepted: an editor made a suspect vote count (`suspect` is then 0, on
    # the vote and on the events of its current score); discarded: it stays suspect, and leaves
    # the review list.
    "ALTER TABLE votes ADD COLUMN review TEXT CHECK (review IN ('accepted', 'discarded'))",
    "ALTER TABLE vote_events ADD COLUMN review TEXT CHECK (review IN ('accepted', 'discarded'))",
    # The review list: only the votes waiting for a decision, newest first; a counted vote
    # never enters this index.
    "CREATE INDEX votes_awaiting_review ON votes (site, updated_at) "
    "WHERE suspect AND score IS NOT NULL AND review IS NULL",
    # A decision finds the events of each vote it decides on here, however many events the
    # article has; counted events never enter it.
    "CREATE INDEX vote_events_suspect ON vote_events (site, article, reader) WHERE suspect",
)
