"""The request path's votes and summaries: one script call per batch (`lua/vote.lua`, `lua/read.lua`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from feedback.hot.articles import COLD, Cold
from feedback.hot.batches import ShardedCalls
from feedback.hot.connection import register_script
from feedback.hot.keys import ShardKeys
from feedback.hot.packing import pack_vote
from feedback.models import ArticleRead, Histogram, Summary, VoteChange
from feedback.settings import Rate


@dataclass(frozen=True)
class VoteLimits:
    rate: Rate | None = None
    """Votes allowed per reader and, separately, per address (None: no limit)."""
    readers_per_address: int | None = None
    """New readers counted per address per article a day; later ones' votes are suspect (None: no cap)."""


@dataclass(slots=True)
class VoteOutcome:
    """What became of a vote sent to a hot article."""

    histogram: Histogram
    comments: int
    retry_after_ms: int
    """Over the rate limit, nothing was done: try again this many ms later (0: done)."""
    capped: bool
    """The readers-per-address cap made this new reader's vote suspect just now."""


# vote.lua's status of a vote applied as suspect because of the cap.
_CAPPED = 3


class HotVotes:
    def __init__(self, redis: Redis, calls: ShardedCalls, epoch_candidate: str, limits: VoteLimits) -> None:
        self._calls = calls
        self._vote = register_script(redis, "vote")
        self._read = register_script(redis, "read")
        rate = limits.rate
        self._vote_args = [
            epoch_candidate,
            rate.count if rate else "",
            rate.period_ms if rate else "",
            limits.readers_per_address or "",
        ]

    async def apply(self, changes: Sequence[VoteChange]) -> list[VoteOutcome | Cold]:
        """Apply vote changes in order, each within its reader's and address's rate; past the cap
        of new readers from one address, a vote is suspect. COLD for a change whose article is
        cold (nothing applied: load it and try again)."""
        replies = await self._calls.run(
            self._vote,
            changes,
            _vote_shard_keys,
            self._vote_args,
            lambda change, position: [pack_vote(change)],
            width=8,
        )
        return [
            VoteOutcome((one, two, three, four, five), comments, wait, status == _CAPPED) if status else COLD
            for status, one, two, three, four, five, comments, wait in replies
        ]

    async def read(self, reads: Sequence[ArticleRead]) -> list[Summary | Cold]:
        """Summary (with the reader's score, when asked) of each article; COLD for a cold one."""
        replies = await self._calls.run(
            self._read,
            reads,
            lambda keys: [],
            [],
            lambda read, position: [position, read.reader] if read.reader else [],
            width=8,
        )
        return [
            Summary(read.site, read.article, (one, two, three, four, five), comments, mine or None) if loaded else COLD
            for read, (loaded, one, two, three, four, five, comments, mine) in zip(reads, replies, strict=True)
        ]


def _vote_shard_keys(keys: ShardKeys) -> list[str]:
    return [keys.meta, keys.events]
