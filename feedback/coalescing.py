"""Group commit: requests made while a batch is in flight travel together in the next one.

At most one batch is in flight, so the batches reach Redis in the order their requests were
made (one reader's successive votes stay in order), and under load each Redis round trip
carries as many requests as arrived during the previous one. A batch that fails fails each of
its requests; it may also fail some alone, by answering an exception as their result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    def __init__(
        self, run_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]], max_batch: int
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Run `item` in the next batch; its result, or the batch's exception."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._drainer is None:
            # Starts on the next turn of the event loop, so the requests of this turn join.
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._run(batch)
        except asyncio.CancelledError:
            for _, future in batch + self._waiting:
                future.cancel()
            self._waiting.clear()
            raise
        finally:
            self._drainer = None

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run_batch([item for item, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # its request may have been cancelled (client gone)
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
