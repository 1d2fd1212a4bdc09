"""The Redis side: hot articles' whole state, the shards' event streams and the flusher lease.
Each concept has its module and its Lua scripts in `lua/`; `keys` says where everything lives."""

from feedback.hot.articles import COLD, Cold, Load
from feedback.hot.clock import RedisClock, redis_time_ms
from feedback.hot.connection import REDIS_UNAVAILABLE, connect
from feedback.hot.gate import REDIS_DOWN, RedisDown, RedisGate
from feedback.hot.salt import day_salt
from feedback.hot.store import HotStore
from feedback.hot.stream import StreamEntry, entry_time_ms
from feedback.hot.votes import VoteLimits, VoteOutcome

__all__ = [
    "COLD",
    "REDIS_DOWN",
    "REDIS_UNAVAILABLE",
    "Cold",
    "HotStore",
    "Load",
    "RedisClock",
    "RedisDown",
    "RedisGate",
    "StreamEntry",
    "VoteLimits",
    "VoteOutcome",
    "connect",
    "day_salt",
    "entry_time_ms",
    "redis_time_ms",
]
