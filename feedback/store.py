"""The Redis side of the vote path: hot articles' full state and the shard event streams.

Per shard `s` (every key of a shard shares the hash tag `{s}`, so each script call stays in one
Redis Cluster slot):
- `feedback:{s}:a:<digest>`: one article's hash, reader -> score (a suspect vote under
  `!reader`), plus `#1`..`#5` (histogram of counted votes), `#c` (approved comments) and `#e`
  (id of its last event); present = loaded ("hot"), absent = cold, SQLite has it all;
- `feedback:{s}:c:<digest>`: an article's comments not yet flushed, stream id -> JSON;
- `feedback:{s}:events`: stream of vote (`e`, suspect `s`) and comment (`c`) events not yet
  trimmed by the flusher;
- `feedback:{s}:meta`: `epoch` (names this stream's lifetime: a wiped Redis starts a new one),
  `flushed` (last stream id SQLite has committed) and `stale_drops` (how many articles changed
  behind Redis's back were dropped: a load that read SQLite before one must read it again);
- `feedback:{s}:touched`: sorted set of loaded articles by when they were loaded or last changed
  (as far as flushed), for eviction;
- `feedback:{s}:rate:...` (rate limits) and `feedback:{s}:cap:<digest>:<day>` (readers counted
  per address hash), which expire on their own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

import hiredis
from redis.asyncio import Connection, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

from feedback import json
from feedback.models import (
    ArticleItem,
    ArticleRead,
    ArticleState,
    Comment,
    Histogram,
    Summary,
    VoteChange,
    VoteEvent,
    version_from_parts,
)
from feedback.settings import Rate

_LEASE_KEY = "feedback:flusher-lease"


REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, OutOfMemoryError, ReadOnlyError)
"""What a Redis call raises when Redis cannot take votes now: unreachable, still loading its data,
full (its scripts fail at their first write, before changing anything), or a replica after a
failover."""


class _HiredisPackingConnection(Connection):
    """redis-py's asyncio connection packs commands in Python (its sync one uses hiredis):
    packing in C takes a fifth off every script call of the vote path."""

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        if isinstance(args[0], str):  # a command name may be two words: "SCRIPT LOAD"
            args = (*args[0].encode().split(), *args[1:])
        packed: bytes = hiredis.pack_command(args)  # type: ignore[arg-type]  # never a bytearray here
        return [packed]


def connect(url: str) -> Redis:
    """A client that fails fast, so the API falls back to SQLite instead of hanging."""
    # No retries: a script call that timed out may have run, and running it again would log
    # its vote changes twice. A failed call sends its requests to SQLite instead.
    retry = Retry(NoBackoff(), 0)
    pool = ConnectionPool.from_url(
        url,
        connection_class=_HiredisPackingConnection,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=1.0,
        retry=retry,
    )
    client = Redis(connection_pool=pool, retry=retry)
    # The client owns its pool: closing it closes every connection, the request path's own too.
    client.auto_close_connection_pool = True
    return client


class _ScriptLines:
    """Script calls through connections of their own: the request path's batches.

    redis-py's client takes every call through its pool, retry and telemetry layers, 20 to 40 µs
    of CPU per round trip here; the coalescers keep only a few batches in flight, so as many
    connections of their own serve them without those layers. They are
    taken from the client's pool when all are busy and never given back, so that closing the
    client closes them. Like the client's pool, a connection the server closed (a restart, an
    idle timeout) is opened again before use, and one whose call failed without a reply was
    dropped by redis-py (a late reply must not answer the next call)."""

    def __init__(self, redis: Redis) -> None:
        self._pool = redis.connection_pool
        self._idle: list[Connection] = []

    async def run(self, script: AsyncScript, keys: Sequence[str | bytes], args: Sequence[Any]) -> Any:
        if self._idle:
            connection = self._idle.pop()
        else:
            connection = await self._pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            # Closed by the server, or holding bytes no call asked for: start afresh (no system
            # call: hiredis looks at what the event loop has read already).
            if connection.is_connected and await connection.can_read():
                await connection.disconnect()
            return await _run_script(connection, script, keys, args)
        finally:
            self._idle.append(connection)


async def _run_script(
    connection: Connection, script: AsyncScript, keys: Sequence[str | bytes], args: Sequence[Any]
) -> Any:
    async def call(command: str, script_text: EncodableT) -> Any:
        await connection.send_packed_command(
            connection.pack_command(command, script_text, len(keys), *keys, *args), check_health=False
        )
        return await connection.read_response()

    try:
        return await call("EVALSHA", script.sha)
    except NoScriptError:  # a restarted Redis, whose script cache is empty
        return await call("EVAL", script.script)


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


def _digest(site: str, article: str) -> str:
    return hashlib.blake2b(f"{site}\0{article}".encode(), digest_size=16).hexdigest()


def _locate(site: str, article: str, shards: int) -> ArticleLocation:
    digest = _digest(site, article)
    shard = ShardKeys(int(digest[:8], 16) % shards)
    return ArticleLocation(shard, digest, shard.article(digest).encode(), shard.comments(digest))


# How many locations `_Locations` keeps before it starts afresh.
_LOCATIONS_KEPT = 65_536


class _Locations:
    """Articles' locations, cached: hashing and encoding every id of every request shows in the
    profile. A dict per site, not functools.lru_cache: on every hit, lru_cache's recency list
    touches memory all over the heap (a list page of 20 cost 8% more CPU time with it). Bounded
    by starting afresh when full."""

    def __init__(self, shards: int) -> None:
        self._shards = shards
        self._by_site: dict[str, dict[str, ArticleLocation]] = {}
        self._kept = 0

    def get(self, site: str, article: str) -> ArticleLocation:
        articles = self._by_site.get(site)
        if articles is not None:
            location = articles.get(article)
            if location is not None:
                return location
        if self._kept >= _LOCATIONS_KEPT:
            self._by_site.clear()
            self._kept = 0
        location = _locate(site, article, self._shards)
        self._by_site.setdefault(site, {})[article] = location
        self._kept += 1
        return location


@dataclass(slots=True)
class Outcome:
    """What became of a vote sent to a hot article."""

    histogram: Histogram
    comments: int
    retry_after_ms: int
    """Over the rate limit, nothing was done: try again this many ms later (0: done)."""


@dataclass(frozen=True)
class StreamEntry:
    id: str
    event: VoteEvent | Comment


def _script_source(name: str) -> str:
    package = resources.files("feedback") / "lua"
    return (package / "common.lua").read_text() + (package / f"{name}.lua").read_text()


class Store:
    def __init__(self, redis: Redis, shards: int = 1) -> None:
        self.redis = redis
        self.shards = shards
        # Names this process's candidate epoch; only the first writer to a fresh shard sets it.
        self._epoch_candidate = secrets.token_hex(8)
        self._vote = redis.register_script(_script_source("vote"))
        self._read = redis.register_script(_script_source("read"))
        self._load = redis.register_script(_script_source("load"))
        self._acknowledge = redis.register_script(_script_source("acknowledge"))
        self._drop = redis.register_script(_script_source("drop"))
        self._renew_lease = redis.register_script(_script_source("renew_lease"))
        self._release_lease = redis.register_script(_script_source("release_lease"))
        self._comment = redis.register_script(_script_source("comment"))
        self._unflushed_comments = redis.register_script(_script_source("unflushed_comments"))
        self._recount = redis.register_script(_script_source("recount"))
        self._lines = _ScriptLines(redis)
        self._locations = _Locations(shards)

    def locate(self, site: str, article: str) -> ArticleLocation:
        return self._locations.get(site, article)

    # The request path

    async def apply_votes(
        self, changes: Sequence[VoteChange], rate: Rate | None, readers_per_address: int | None
    ) -> list[Outcome | None]:
        """Apply vote changes in order, each within its reader's and address's `rate`; past
        `readers_per_address` new readers of an article from one address a day, a vote is suspect.

        Returns what became of each change, or None for a cold article (nothing applied: load
        it and try again).
        """
        replies = await self._per_shard(
            self._vote,
            changes,
            lambda keys: [keys.meta, keys.events],
            [self._epoch_candidate, *_rate_args(rate), readers_per_address or ""],
            lambda change, position: [
                f"{change.address}\t{change.score or 0}\t{change.reader}\t{change.site}\t{change.article}"
            ],
            width=8,
        )
        return [
            Outcome((one, two, three, four, five), comments, wait) if status else None
            for status, one, two, three, four, five, comments, wait in replies
        ]

    async def read_articles(self, reads: Sequence[ArticleRead]) -> list[Summary | None]:
        """Summary (with the reader's score, when asked) of each article; None marks a cold article."""
        replies = await self._per_shard(
            self._read,
            reads,
            lambda keys: [],
            [],
            lambda read, position: [position, read.reader] if read.reader else [],
            width=8,
        )
        return [
            Summary(read.site, read.article, (one, two, three, four, five), comments, mine or None) if loaded else None
            for read, (loaded, one, two, three, four, five, comments, mine) in zip(reads, replies, strict=True)
        ]

    async def add_comment(self, comment: Comment, address: str, rate: Rate | None) -> int | None:
        """Add a comment within its reader's and address's `rate`; None for a cold article, else
        how many ms to wait before trying again (nothing added), 0 when added."""
        location = self.locate(comment.site, comment.article)
        shard = location.shard
        keys: list[str | bytes] = [shard.meta, shard.events, location.key, location.comments_key]
        args = [self._epoch_candidate, *_rate_args(rate), comment.site, comment.reader, address, comment.status]
        wait: int = await self._comment(keys=keys, args=[*args, _comment_json(comment)])
        return None if wait < 0 else wait

    async def unflushed_comments(self, site: str, article: str) -> list[Comment]:
        """An article's comments that SQLite does not have yet, in no particular order."""
        location = self.locate(site, article)
        replies: list[str] = await self._unflushed_comments(
            keys=[location.shard.meta, location.comments_key], args=[""]
        )
        return [_comment_from_json(reply) for reply in replies]

    async def _per_shard(
        self,
        script: AsyncScript,
        items: Sequence[ArticleItem],
        shard_keys: Callable[[ShardKeys], list[str]],
        shard_args: list[Any],
        item_args: Callable[[ArticleItem, int], list[Any]],
        width: int,
    ) -> list[tuple[Any, ...]]:
        """Run `script` once per shard over the items of its articles (in order), in one round
        trip (through the request path's own connections when the items are all in one shard);
        each item's `width` reply values, in the order of `items`.

        The script gets the shard's keys then one article key per item, and the shard's
        arguments then each item's (given its 1-based position among the call's article keys);
        keeping every call within one shard (one hash slot) is what lets Redis Cluster run it.
        """
        if not items:
            return []
        locate = self._locations.get
        located = [locate(item.site, item.article) for item in items]
        groups: dict[ShardKeys, list[int]] = {}
        if self.shards > 1:
            for index, location in enumerate(located):
                groups.setdefault(location.shard, []).append(index)
        if len(groups) <= 1:  # the usual case, one shard: one call, its reply in order
            call = _script_call(shard_keys(located[0].shard), shard_args, located, items, item_args)
            return _cut(await self._lines.run(script, *call), width)
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard, indexes in groups.items():
                call_keys, call_args = _script_call(
                    shard_keys(shard),
                    shard_args,
                    [located[index] for index in indexes],
                    [items[index] for index in indexes],
                    item_args,
                )
                await script(keys=call_keys, args=call_args, client=pipe)
            replies = await pipe.execute()
        results: list[tuple[Any, ...]] = [()] * len(items)
        for indexes, reply in zip(groups.values(), replies, strict=True):
            for index, values in zip(indexes, _cut(reply, width), strict=True):
                results[index] = values
        return results

    async def time_ns(self) -> int:
        """Redis's clock."""
        seconds, microseconds = await self.redis.time()
        return (seconds * 1_000_000 + microseconds) * 1000

    async def stale_drops(self, shard: int) -> str:
        """How many stale articles the shard has dropped: read it before reading an article's
        state from SQLite, and pass it to load_article."""
        drops = await self.redis.hget(ShardKeys(shard).meta, "stale_drops")
        return str(drops or "0")

    async def load_article(self, site: str, article: str, state: ArticleState, stale_drops: str) -> bool:
        """Make a cold article hot from SQLite's state; False when that state may be stale."""
        location = self.locate(site, article)
        args: list[Any] = [state.flush_epoch or "", state.flush_last_id or "", stale_drops, state.comments]
        for reader, score in state.scores.items():
            args += [reader, score]
        for reader, score in state.suspect_scores.items():
            args += [f"!{reader}", score]
        keys: list[str | bytes] = [location.shard.meta, location.shard.touched, location.key]
        return bool(await self._load(keys=keys, args=args))

    # The flusher's side

    async def epoch(self, shard: int) -> str | None:
        epoch = await self.redis.hget(ShardKeys(shard).meta, "epoch")
        return str(epoch) if epoch is not None else None

    async def pending_events(self, shard: int, after_id: str, count: int) -> list[StreamEntry]:
        """Up to `count` stream entries after `after_id`, oldest first."""
        entries: list[tuple[str, dict[str, str]]] = await self.redis.xrange(
            ShardKeys(shard).events, f"({after_id}", "+", count=count
        )  # type: ignore[assignment]  # decode_responses: str, and XRANGE never answers nil
        return [StreamEntry(entry_id, _event(entry_id, fields)) for entry_id, fields in entries]

    async def acknowledge_flush(
        self,
        shard: int,
        epoch: str,
        last_id: str,
        changed_at: Mapping[tuple[str, str], int] | None = None,
        precision_ms: int = 0,
    ) -> None:
        """Record that SQLite committed everything up to `last_id`, and trim it from the stream;
        `changed_at` (site, article) -> ms of its last event in it, for eviction of idle articles
        (a mark within `precision_ms` of it stays as it is)."""
        milliseconds, sequence = last_id.split("-")
        shard_keys = ShardKeys(shard)
        args: list[Any] = [epoch, last_id, f"{milliseconds}-{int(sequence) + 1}", precision_ms]
        for (site, article), at_ms in (changed_at or {}).items():
            # Not through locate's cache: a backlog's articles may be many more than it holds.
            args += [at_ms, _digest(site, article)]
        await self._acknowledge(keys=[shard_keys.meta, shard_keys.events, shard_keys.touched], args=args)

    async def prune_comments(self, shard: int, site_articles: Sequence[tuple[str, str]]) -> None:
        """Forget the comments of these articles of `shard` that SQLite has now, in one call."""
        if site_articles:
            keys = [self.locate(site, article).comments_key for site, article in site_articles]
            await self._unflushed_comments(keys=[ShardKeys(shard).meta, *keys], args=["prune"])

    async def recount_comments(
        self, site: str, article: str, approved: int, flush_epoch: str | None, flush_last_id: str | None
    ) -> bool:
        """Set a hot article's approved count from SQLite's (as of its shard's flush position)
        plus the approved comments not flushed yet; False when that position is of another epoch."""
        location = self.locate(site, article)
        keys: list[str | bytes] = [location.shard.meta, location.key, location.comments_key]
        return bool(await self._recount(keys=keys, args=[flush_epoch or "", flush_last_id or "", approved]))

    async def drop_article(self, site: str, article: str) -> bool:
        """Forget a (stale) article unless it has votes not yet flushed; True when gone."""
        location = self.locate(site, article)
        return await self._drop_article(location.shard, location.digest, "")

    async def drop_idle_articles(self, shard: int, idle_ms: int, limit: int) -> int:
        """Forget up to `limit` flushed articles untouched for `idle_ms`; how many went."""
        shard_keys = ShardKeys(shard)
        now_ms = await self.time_ns() // 1_000_000
        digests: list[str] = await self.redis.zrangebyscore(
            shard_keys.touched, "-inf", now_ms - idle_ms, start=0, num=limit
        )  # type: ignore[assignment]  # decode_responses: str
        dropped = 0
        for digest in digests:
            dropped += await self._drop_article(shard_keys, digest, str(idle_ms))
        return dropped

    async def _drop_article(self, shard: ShardKeys, digest: str, idle_ms: str) -> bool:
        keys = [shard.meta, shard.touched, shard.article(digest), shard.comments(digest)]
        return bool(await self._drop(keys=keys, args=[idle_ms]))

    async def day_salt(self, day: int, expires_at: int) -> str:
        """The random salt of a UTC day, made by the first to ask; gone at `expires_at` (unix s)."""
        key = f"feedback:salt:{day}"
        made = secrets.token_hex(32)
        earlier = await self.redis.set(key, made, nx=True, get=True, exat=expires_at)
        return earlier if isinstance(earlier, str) else made  # GET: the salt set before, if any

    # The flusher lease: one flusher at a time across processes and hosts

    async def acquire_lease(self, owner: str, milliseconds: int) -> bool:
        """Take the lease when free, or extend it when `owner` holds it already."""
        taken = await self.redis.set(_LEASE_KEY, owner, nx=True, px=milliseconds)
        if taken:
            return True
        return bool(await self._renew_lease(keys=[_LEASE_KEY], args=[owner, milliseconds]))

    async def release_lease(self, owner: str) -> None:
        await self._release_lease(keys=[_LEASE_KEY], args=[owner])


def _script_call(
    shard_keys: list[str],
    shard_args: list[Any],
    located: Sequence[ArticleLocation],
    items: Sequence[ArticleItem],
    item_args: Callable[[ArticleItem, int], list[Any]],
) -> tuple[list[str | bytes], list[Any]]:
    """The keys and arguments of one script call over the items of one shard."""
    call_keys: list[str | bytes] = [*shard_keys, *[location.key for location in located]]
    call_args = list(shard_args)
    for position, item in enumerate(items, start=1):
        call_args += item_args(item, position)
    return call_keys, call_args


def _cut(reply: list[Any], width: int) -> list[tuple[Any, ...]]:
    """A script's reply cut into `width`-long tuples, one per item (by zip, in C)."""
    return list(zip(*[iter(reply)] * width, strict=True))


def _rate_args(rate: Rate | None) -> tuple[int | str, int | str]:
    return (rate.count, rate.period_ms) if rate is not None else ("", "")


def _event(entry_id: str, fields: dict[str, str]) -> VoteEvent | Comment:
    if "c" in fields:
        return _comment_from_json(fields["c"])
    milliseconds, sequence = (int(part) for part in entry_id.split("-"))
    suspect = "s" in fields
    score, reader, site, article = fields["s" if suspect else "e"].split("\t", 3)
    change = VoteChange(site, article, reader, int(score) or None, suspect=suspect)
    return VoteEvent(change, version_from_parts(milliseconds, sequence), milliseconds)


def _comment_json(comment: Comment) -> str:
    return json.dumps(asdict(comment)).decode()


def _comment_from_json(text: str) -> Comment:
    return Comment(**json.loads(text))
