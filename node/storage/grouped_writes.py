"""Group commit: many callers' small writes of the same kind in one transaction.

Each caller awaits its own result, but while one transaction is on the writer thread the
next callers queue up, and all of them go together in the following one. Under load that
turns N thread hops and N commits into a few, without adding latency when idle: the first
caller's write starts at once. (PostgreSQL's `commit_delay` and SQLite's own advice to
batch inserts in a transaction are the same idea.)
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Generic, TypeVar

from node.storage.database import Database

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupedWrites(Generic[Item, Result]):
    """`await submit(item)` runs `interaction(conn, [items...])` with others' items in one
    write transaction and returns this item's entry of the list it returns."""

    def __init__(
        self,
        db: Database,
        name: str,
        interaction: Callable[[sqlite3.Connection, list[Item]], list[Result]],
        max_batch: int = 500,
    ) -> None:
        self._db = db
        self._name = name
        self._interaction = interaction
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_while_waiting())
        return await future

    async def _write_while_waiting(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._db.write(
                self._name, self._interaction, [item for item, _ in batch]
            )
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            # The transaction rolled back, so nobody's item is in. One bad item must not fail
            # the others: each goes again, in a transaction of its own.
            for entry in batch:
                await self._write([entry])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future, result: object = None, exception: Exception | None = None
) -> None:
    if future.done():  # its caller has gone (the client disconnected)
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
