"""The first page of each neighbourhood feed, kept in memory between writes.

A neighbourhood writes a post every 25 minutes and reads its feed thousands of times, so the
first page (per neighbourhood and category) is cached here. Only what every reader sees is
kept: "new" marks and one's own reactions are added per request.

Correctness rests on two rules. Any write touching a neighbourhood's posts invalidates it
(and every neighbourhood whose cached page draws on it through adjacency) after the write
has committed. And a page read from the database is stored only if no invalidation happened
while it was being read (`generation`), so a slow read cannot put back what a write replaced.
Entries also expire after `ttl` seconds, which keeps view counts fresh without invalidating
on every view.

What callers derive from a cached page (the feed's rendered markup, per language) is kept in
the entry itself (`derived`), so it is forgotten exactly when the page is: on invalidation,
expiry or replacement.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node.models.posts import FeedPage


@dataclass(frozen=True)
class _Entry:
    page: FeedPage
    sources: frozenset[int]  # neighbourhoods whose posts this page may show
    stored_at: float
    derived: dict[Any, Any] = field(default_factory=dict)


class FeedCache:
    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[int, str], _Entry] = {}
        self.generation = 0
        self.hits = 0
        self.misses = 0

    def get(self, neighbourhood_id: int, category: str | None) -> FeedPage | None:
        entry = self._entries.get((neighbourhood_id, category or ""))
        if entry is None or self._clock() - entry.stored_at > self._ttl:
            self.misses += 1
            return None
        self.hits += 1
        return entry.page

    def put(
        self,
        neighbourhood_id: int,
        category: str | None,
        page: FeedPage,
        adjacent_ids: tuple[int, ...],
        generation: int,
    ) -> None:
        """Keep a page read while the cache was at `generation`, unless it moved on since."""
        if generation != self.generation:
            return
        self._entries[(neighbourhood_id, category or "")] = _Entry(
            page, frozenset((neighbourhood_id, *adjacent_ids)), self._clock()
        )

    def derived(
        self, neighbourhood_id: int, category: str | None, page: FeedPage
    ) -> dict[Any, Any] | None:
        """Room for what a caller derives from `page` while it is the cached one; None when
        it is not (a page read past the cache): then derive without keeping."""
        entry = self._entries.get((neighbourhood_id, category or ""))
        if entry is None or entry.page is not page:
            return None
        return entry.derived

    def invalidate(self, neighbourhood_id: int) -> None:
        """Forget every page that may show a post of this neighbourhood."""
        self.generation += 1
        for key in [k for k, e in self._entries.items() if neighbourhood_id in e.sources]:
            del self._entries[key]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
