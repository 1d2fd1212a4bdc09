"""The Redis side as one object: a part per concept, sharing one client and one key layout."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from feedback.hot.articles import HotArticles
from feedback.hot.batches import ShardedCalls
from feedback.hot.comments import HotComments
from feedback.hot.keys import KeyLayout
from feedback.hot.lease import FlusherLease
from feedback.hot.stream import EventStreams
from feedback.hot.votes import HotVotes, VoteLimits
from feedback.settings import Rate


class HotStore:
    def __init__(
        self,
        redis: Redis,
        *,
        shards: int = 1,
        vote_limits: VoteLimits | None = None,
        comment_rate: Rate | None = None,
    ) -> None:
        self.redis = redis
        self.keys = KeyLayout(shards)
        # Names this process's candidate epoch; only the first writer to a fresh shard sets it.
        epoch_candidate = secrets.token_hex(8)
        self.votes = HotVotes(redis, ShardedCalls(redis, self.keys), epoch_candidate, vote_limits or VoteLimits())
        self.comments = HotComments(redis, self.keys, epoch_candidate, comment_rate)
        self.articles = HotArticles(redis, self.keys)
        self.streams = EventStreams(redis)
        self.lease = FlusherLease(redis)
