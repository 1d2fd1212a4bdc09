"""Group commit: requests made while a batch is in flight travel together in the next one.

With one batch in flight (the default), the batches reach Redis in the order their requests
were made (one reader's successive votes stay in order), and under load each Redis round trip
carries as many requests as arrived during the previous one. Heavy reads, which need no order,
may have more batches in flight: the server then prepares the next while Redis answers one. A
batch that fails fails each of its requests; it may also fail some alone, by answering an
exception as their result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    def __init__(
        self,
        run_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result | Exception]]],
        max_batch: int,
        max_in_flight: int = 1,
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining = 0
        self._drainers: set[asyncio.Task[None]] = set()  # the event loop keeps only weak references

    async def submit(self, item: Item) -> Result:
        """Run `item` in the next batch; its result, or the batch's exception."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining < self._max_in_flight:
            # Starts on the next turn of the event loop, so the requests of this turn join.
            self._draining += 1
            drainer = asyncio.create_task(self._drain())
            self._drainers.add(drainer)
            drainer.add_done_callback(self._drainers.discard)
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
            # At once, not in a done callback: a request submitted in between would find the
            # drainer still counted, though it takes no more batches.
            self._draining -= 1

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
