"""One script call per shard over a batch of items, each item naming one article."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from feedback.hot.connection import ScriptLines
from feedback.hot.keys import ArticleLocation, KeyLayout, ShardKeys
from feedback.models import ArticleItem


class ShardedCalls:
    def __init__(self, redis: Redis, keys: KeyLayout) -> None:
        self._redis = redis
        self._keys = keys
        self._lines = ScriptLines(redis)

    async def run(
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
        locate = self._keys.locate
        located = [locate(item.site, item.article) for item in items]
        groups: dict[ShardKeys, list[int]] = {}
        if self._keys.shards > 1:
            for index, location in enumerate(located):
                groups.setdefault(location.shard, []).append(index)
        if len(groups) <= 1:  # the usual case, one shard: one call, its reply in order
            call = _script_call(shard_keys(located[0].shard), shard_args, located, items, item_args)
            return _cut(await self._lines.run(script, *call), width)
        async with self._redis.pipeline(transaction=False) as pipe:
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
