"""The node's SQLite database: one writer thread, a few reader threads, named interactions.

A request pays one thread hop, not one per statement: a caller hands a whole synchronous
function (an "interaction", as Synapse calls it) to `read()` or `write()`, and that function
runs every statement it needs on a plain `sqlite3` connection inside one transaction.
aiosqlite hops once per statement (~2,600 queries/s here against ~63,000/s on the
connection itself) and offers no public way to run a function on its thread, so we keep its
mechanism, a dedicated thread per connection, and expose it at the granularity we need.

Writes are serialised on the single writer connection under BEGIN IMMEDIATE, which is how
SQLite wants to be written to; readers run beside it thanks to WAL.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

T = TypeVar("T")
Interaction = Callable[..., T]


class DatabaseError(RuntimeError):
    """The database cannot be used (newer than this code, unreadable, not a database)."""


def open_connection(path: Path, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection of a node must have."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # The delivery queue's host column, when deliveries are chosen in SQL: the same netloc
    # `urlsplit` gives the Python path.
    conn.create_function("url_host", 1, _url_host, deterministic=True)
    return conn


def _url_host(url: str | None) -> str | None:
    return None if url is None else urlsplit(url).netloc


class _ConnectionPool:
    """Threads that each own one sqlite3 connection and take jobs from one shared queue."""

    def __init__(self, name: str, size: int, connect: Callable[[], sqlite3.Connection]) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future, Callable[[sqlite3.Connection], Any]] | None]
        self._jobs = queue.SimpleQueue()
        self._connect = connect
        self._threads = []
        for i in range(size):
            ready: Future = Future()
            thread = threading.Thread(
                target=self._run, args=(ready,), name=f"{name}-{i}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
            ready.result()  # raises here, in the opener, if the connection cannot be made

    def _run(self, ready: Future) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
                future, fn = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(conn))
                except BaseException as exc:
                    future.set_exception(exc)
        finally:
            conn.close()

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()


class Database:
    """The async face of a node's database. Create with `await Database.open(...)`."""

    def __init__(self, path: Path, busy_timeout_ms: int, readers: int) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._reader_count = max(1, readers)
        self._writer: _ConnectionPool | None = None
        self._readers: _ConnectionPool | None = None
        self.interaction_counts: dict[str, int] = {}
        # Committed write transactions so far. In-memory caches of read results keep the value
        # seen before their read and trust an entry only while it is unchanged (ReadCache).
        self.committed_writes = 0

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 5000, readers: int = 2) -> Database:
        db = cls(path, busy_timeout_ms, readers)
        await asyncio.to_thread(db._start)
        return db

    def _start(self) -> None:
        def connect() -> sqlite3.Connection:
            return open_connection(self.path, self._busy_timeout_ms)

        self._writer = _ConnectionPool("db-writer", 1, connect)
        self._readers = _ConnectionPool("db-reader", self._reader_count, connect)

    async def close(self) -> None:
        def stop() -> None:
            for pool in (self._readers, self._writer):
                if pool is not None:
                    pool.close()

        await asyncio.to_thread(stop)

    async def write(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` on the writer in one IMMEDIATE transaction; commit or roll back."""
        assert self._writer is not None, "database is not open"
        self._count(name)

        def transaction(conn: sqlite3.Connection) -> T:
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn, *args)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            # Counted on the writer thread, right after the commit and before the caller
            # resumes: whatever follows a write in the program sees the count moved.
            self.committed_writes += 1
            _log_slow(name, started)
            return result

        return await asyncio.wrap_future(self._writer.submit(transaction))

    async def read(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` on a reader inside one read transaction (a consistent snapshot)."""
        assert self._readers is not None, "database is not open"
        self._count(name)

        def snapshot(conn: sqlite3.Connection) -> T:
            started = time.perf_counter()
            conn.execute("BEGIN")
            try:
                return fn(conn, *args)
            finally:
                conn.execute("COMMIT")
                _log_slow(name, started)

        return await asyncio.wrap_future(self._readers.submit(snapshot))

    def _count(self, name: str) -> None:
        self.interaction_counts[name] = self.interaction_counts.get(name, 0) + 1


def _log_slow(name: str, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    if elapsed_ms > 200:
        log.warning("slow database interaction %s took %.0f ms", name, elapsed_ms)
