"""The formats of what the Redis side carries: a vote change as one string, a comment as JSON.

A vote travels to `lua/vote.lua` as one argument,
`address<TAB>title<TAB>url<TAB>score<TAB>reader<TAB>site<TAB>article` (score 0 withdraws; address,
title and url '' = not given). The script cuts off the first three and appends the rest,
`score<TAB>reader<TAB>site<TAB>article`, to the stream as the vote's event (`e`, or `s` for a
suspect vote), which the flusher reads back with `unpack_event`. The event of a vote the cap has
just made suspect carries a second field, `k`: its cluster label, the first 10 hex digits of the
SHA-1 of the day's address hash, so that editors can see which readers came from one address
without SQLite ever holding an address or even the day's hash of one; counted votes, and later
changes of a suspect one, carry none. A title or url that differs from
the one the article's hash holds goes to the stream once, as `m`:
`title<TAB>url<TAB>site<TAB>article` (from vote.lua or comment.lua). One string per vote keeps the
work of both sides small (docs/performance.md). It is unambiguous because no field can hold a tab:
site ids, reader tokens and the day's address hashes are drawn from [a-z0-9-_], and article ids,
titles and urls must be printable (`feedback.validation` refuses tabs); the article comes last,
so even a tab there would stay in it.
"""

from __future__ import annotations

from dataclasses import asdict

from feedback import json
from feedback.models import ArticleAbout, ArticleInfo, Comment, VoteChange, VoteEvent, version_from_parts


def pack_vote(change: VoteChange) -> str:
    """The argument of one vote to vote.lua."""
    title, url = pack_about(change.about)
    return f"{change.address}\t{title}\t{url}\t{change.score or 0}\t{change.reader}\t{change.site}\t{change.article}"


def pack_about(about: ArticleAbout | None) -> tuple[str, str]:
    """An article's title and url as scripts take them ('' = not given)."""
    if about is None:
        return "", ""
    return about.title or "", about.url or ""


def unpack_event(entry_id: str, fields: list[str]) -> VoteEvent | Comment | ArticleInfo:
    """A stream entry, its fields as XRANGE lists them (name, value, ...): a vote (`e`, or `s`
    and perhaps `k` for a suspect one) as vote.lua wrote it, a comment (`c`), or an article's
    new title or url (`m`). The flusher reads every event through here: a vote is built with
    positional arguments and no intermediate list (measured in docs/performance.md)."""
    kind, value = fields[0], fields[1]
    if kind == "c":
        return unpack_comment(value)
    milliseconds, _, sequence = entry_id.partition("-")
    at_ms = int(milliseconds)
    if kind == "m":
        title, url, site, article = value.split("\t", 3)
        return ArticleInfo(site, article, ArticleAbout(title or None, url or None), at_ms)
    score, reader, site, article = value.split("\t", 3)
    suspect = kind == "s"
    change = VoteChange(site, article, reader, int(score) or None, "", suspect)
    cluster = fields[3] if suspect and len(fields) > 3 else None
    return VoteEvent(change, version_from_parts(at_ms, int(sequence)), at_ms, cluster)


def pack_comment(comment: Comment) -> str:
    return json.dumps(asdict(comment)).decode()


def unpack_comment(text: str) -> Comment:
    return Comment(**json.loads(text))
