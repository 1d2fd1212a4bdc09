"""Where everything lives in Redis: the key layout, and articles' locations in it.

Per shard `s` (every key of a shard shares the hash tag `{s}`, so each script call stays in one
Redis Cluster slot):
- `feedback:{s}:a:<digest>`: one article's hash, reader -> score (a suspect vote under
  `!reader`), plus `#1`..`#5` (histogram of counted votes), `#c` (approved comments) and `#e`
  (id of its last event); present = loaded ("hot"), absent = cold, SQLite has it all;
- `feedback:{s}:c:<digest>`: an article's comments not yet flushed, stream id -> JSON;
- `feedback:{s}:comments`: every comment of the shard not yet flushed, stream id -> JSON (the
  moderation desk lists a site's from it: no scan of the stream);
- `feedback:{s}:events`: stream of vote (`e`, suspect `s`) and comment (`c`) events not yet
  trimmed by the flusher;
- `feedback:{s}:meta`: `epoch` (names this stream's lifetime: a wiped Redis starts a new one),
  `flushed` (last stream id SQLite has committed) and `stale_drops` (how many articles changed
  behind Redis's back were dropped: a load that read SQLite before one must read it again);
- `feedback:{s}:touched`: sorted set of loaded articles by when they were loaded or last changed
  (as far as flushed), for eviction;
- `feedback:{s}:behind`: set of the digests of articles that were loaded when Redis was found to
  have lost events SQLite had applied (`lua/resume.lua`): dropped once flushed, then reloaded;
- `feedback:{s}:rate:...` (rate limits) and `feedback:{s}:cap:<digest>:<day>` (readers counted
  per address hash), which expire on their own (their names are made in `lua/common.lua` and
  `lua/vote.lua`).

Outside the shards: `feedback:flusher-lease` and `feedback:salt:<day>`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

LEASE_KEY = "feedback:flusher-lease"


def salt_key(day: int) -> str:
    return f"feedback:salt:{day}"


@dataclass(frozen=True)
class ShardKeys:
    """The keys of one shard; all share the hash tag `{shard}`."""

    shard: int

    @property
    def meta(self) -> str:
        return f"feedback:{{{self.shard}}}:meta"

    @property
    def events(self) -> str:
        return f"feedback:{{{self.shard}}}:events"

    @property
    def touched(self) -> str:
        return f"feedback:{{{self.shard}}}:touched"

    @property
    def behind(self) -> str:
        return f"feedback:{{{self.shard}}}:behind"

    @property
    def comments_waiting(self) -> str:
        return f"feedback:{{{self.shard}}}:comments"

    def article(self, digest: str) -> str:
        return f"feedback:{{{self.shard}}}:a:{digest}"

    def comments(self, digest: str) -> str:
        return f"feedback:{{{self.shard}}}:c:{digest}"


@dataclass(frozen=True)
class ArticleLocation:
    """Where one article lives in Redis: its shard, and its hash's key, which ends in its digest."""

    shard: ShardKeys
    digest: str
    key: bytes
    comments_key: str


def digest(site: str, article: str) -> str:
    """An article's name in Redis (lua/common.lua's `digest_of` reads it back from a key)."""
    return hashlib.blake2b(f"{site}\0{article}".encode(), digest_size=16).hexdigest()


# How many locations `KeyLayout` keeps before it starts afresh.
LOCATIONS_KEPT = 65_536


class KeyLayout:
    """The keys of `shards` shards, and articles' locations in them, cached: hashing and encoding
    every id of every request shows in the profile (docs/performance.md). A dict per site,
    bounded by starting afresh when full."""

    def __init__(self, shards: int) -> None:
        self.shards = shards
        self._by_site: dict[str, dict[str, ArticleLocation]] = {}
        self._kept = 0

    def locate(self, site: str, article: str) -> ArticleLocation:
        articles = self._by_site.get(site)
        if articles is not None:
            location = articles.get(article)
            if location is not None:
                return location
        if self._kept >= LOCATIONS_KEPT:
            self._by_site.clear()
            self._kept = 0
        name = digest(site, article)
        shard = ShardKeys(int(name[:8], 16) % self.shards)
        location = ArticleLocation(shard, name, shard.article(name).encode(), shard.comments(name))
        self._by_site.setdefault(site, {})[article] = location
        self._kept += 1
        return location
