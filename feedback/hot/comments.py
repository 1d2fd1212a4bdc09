"""Comments in Redis: added with the article's other events, kept readable until flushed, and
the approved count set again after editors changed SQLite's (`lua/comment.lua`,
`lua/unflushed_comments.lua`, `lua/recount.lua`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from redis.asyncio import Redis

from feedback.hot.articles import COLD, Cold
from feedback.hot.connection import register_script
from feedback.hot.keys import KeyLayout, ShardKeys
from feedback.hot.packing import pack_about, pack_comment, unpack_comment
from feedback.models import ApprovedCount, ArticleAbout, Comment
from feedback.settings import Rate


class HotComments:
    def __init__(self, redis: Redis, keys: KeyLayout, epoch_candidate: str, rate: Rate | None) -> None:
        self._keys = keys
        self._epoch_candidate = epoch_candidate
        self._rate_args = (rate.count, rate.period_ms) if rate else ("", "")
        self._comment = register_script(redis, "comment")
        self._unflushed = register_script(redis, "unflushed_comments")
        self._recount = register_script(redis, "recount")

    async def add(self, comment: Comment, address: str, about: ArticleAbout | None) -> int | Cold:
        """Add a comment within its reader's and address's rate: COLD for a cold article, else
        how many ms to wait before trying again (nothing added), 0 when added."""
        location = self._keys.locate(comment.site, comment.article)
        shard = location.shard
        keys: list[str | bytes] = [
            shard.meta,
            shard.events,
            location.key,
            location.comments_key,
            shard.comments_waiting,
        ]
        args = [self._epoch_candidate, *self._rate_args, comment.site, comment.reader, address, comment.status]
        title, url = pack_about(about)
        wait: int = await self._comment(keys=keys, args=[*args, pack_comment(comment), title, url, comment.article])
        return COLD if wait < 0 else wait

    async def unflushed(self, site: str, article: str) -> list[Comment]:
        """An article's comments that SQLite does not have yet, in no particular order."""
        location = self._keys.locate(site, article)
        replies: list[str] = await self._unflushed(keys=[location.shard.meta, location.comments_key], args=[""])
        return [unpack_comment(reply) for reply in replies]

    async def unflushed_of_site(self, site: str | None) -> list[Comment]:
        """A site's comments (every site's with None) that SQLite does not have yet, in no
        particular order: one call per shard."""
        shards = [ShardKeys(shard) for shard in range(self._keys.shards)]
        replies: list[list[str]] = await asyncio.gather(
            *(self._unflushed(keys=[shard.meta, shard.comments_waiting], args=[""]) for shard in shards)
        )
        comments = (unpack_comment(reply) for shard_replies in replies for reply in shard_replies)
        return [comment for comment in comments if site in (None, comment.site)]

    async def prune(self, shard: int, site_articles: Sequence[tuple[str, str]]) -> None:
        """Forget the comments of these articles of `shard` that SQLite has now, in one call."""
        if site_articles:
            keys = [self._keys.locate(site, article).comments_key for site, article in site_articles]
            shard_keys = ShardKeys(shard)
            await self._unflushed(keys=[shard_keys.meta, shard_keys.comments_waiting, *keys], args=["prune"])

    async def recount(self, site: str, article: str, approved: ApprovedCount) -> bool:
        """Set a hot article's approved count from SQLite's (as of its shard's flush position)
        plus the approved comments not flushed yet; False when that position is of another epoch."""
        location = self._keys.locate(site, article)
        keys: list[str | bytes] = [location.shard.meta, location.key, location.comments_key]
        args: list[str | int] = [approved.flush_epoch or "", approved.flush_last_id or "", approved.approved]
        return bool(await self._recount(keys=keys, args=args))
