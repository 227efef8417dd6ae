"""Small read results kept in memory until what they were read from next changes.

Every page asks the same small things again: whom a session cookie belongs to, how many
notifications wait, a reader's feed marks, what the city says to a neighbourhood. Each is a
hop to a reader thread (~0.4 ms of wall time, and the GIL taken from the event loop), so
under load these hops, not the queries, bound a page. A `ReadCache` keeps such results and
trusts an entry only while its version has not moved since the read began. For most uses the
version is the database's count of committed writes (`until_any_write`): a sign-out, a
suspension, a reaction or a new notification is seen by the very next request, whichever
service wrote it, with no invalidation to forget. What changes through one path only (remote
actors and their keys, written when fetched) can count its own changes instead, and stay
cached while the rest of the database is written to.

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
    """Values by key, each valid while `version()` is unchanged since it was read.

    Use: `version = cache.version()` before the read, `cache.put(key, value, version)` after.
    Values must not be None (None is a miss).
    """

    def __init__(
        self,
        version: Callable[[], int],
        ttl: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._changes = version
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._version = version()
        self._entries: dict[K, tuple[V, float]] = {}

    def version(self) -> int:
        """The state now: take it before reading what will be put."""
        return self._changes()

    def _current(self) -> dict[K, tuple[V, float]]:
        if (now := self._changes()) != self._version:
            # Every entry was read before this change, so none can be used again: dropping
            # them all at once keeps memory to what was read since the last change.
            self._entries = {}
            self._version = now
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
        """Keep a value read at `version`, unless it changed since (the value may be stale)."""
        if version != self._changes():
            return
        entries = self._current()
        if len(entries) >= self._max_entries:
            entries.clear()  # many readers and no write for a while: start again
        entries[key] = (value, self._clock())


def until_any_write(db: Database) -> ReadCache:
    """A cache whose entries last until the next write committed to `db`."""
    return ReadCache(lambda: db.committed_writes)
