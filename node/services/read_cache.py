"""Small read results kept in memory until the database next changes.

Every page asks the same small things again: whom a session cookie belongs to, how many
notifications wait, a reader's feed marks, what the city says to a neighbourhood. Each is a
hop to a reader thread (~0.4 ms of wall time, and the GIL taken from the event loop), so
under load these hops, not the queries, bound a page. A `ReadCache` keeps such results and
trusts an entry only while no write has committed since its read began
(`Database.committed_writes`): a sign-out, a suspension, a reaction or a new notification is
seen by the very next request, whichever service wrote it, with no invalidation to forget.

Writes from another process (an operator's sqlite3 shell) are not counted, so entries also
expire after `ttl` seconds: that bounds how long such a change can go unseen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from node.storage.database import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ReadCache(Generic[K, V]):
    """Values by key, each valid while the database is unchanged since it was read.

    Use: `version = cache.version()` before the read, `cache.put(key, value, version)` after.
    Values must not be None (None is a miss).
    """

    def __init__(
        self,
        db: Database,
        ttl: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._version = db.committed_writes
        self._entries: dict[K, tuple[V, float]] = {}

    def version(self) -> int:
        """The database's state now: take it before reading what will be put."""
        return self._db.committed_writes

    def _current(self) -> dict[K, tuple[V, float]]:
        if self._db.committed_writes != self._version:
            # Every entry was read before this write, so none can be used again: dropping
            # them all at once keeps memory to what was read since the last write.
            self._entries = {}
            self._version = self._db.committed_writes
        return self._entries

    def get(self, key: K) -> V | None:
        entries = self._current()
        entry = entries.get(key)
        if entry is None:
            return None
        value, stored_at = entry
        if self._clock() - stored_at > self._ttl:
            del entries[key]
            return None
        return value

    def put(self, key: K, value: V, version: int) -> None:
        """Keep a value read at `version`, unless a write committed since (it may be stale)."""
        if version != self._db.committed_writes:
            return
        entries = self._current()
        if len(entries) >= self._max_entries:
            entries.clear()  # many readers and no write for a while: start again
        entries[key] = (value, self._clock())
