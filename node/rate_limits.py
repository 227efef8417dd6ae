"""Counting attempts per key over a sliding window, in memory (one node = one process)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allows `limit` events per key within `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def _live(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        cutoff = self._clock() - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        return events

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        events = self._live(key)
        if len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.window - self._clock()) + 1)

    def record(self, key: str) -> None:
        self._live(key).append(self._clock())
        if len(self._events) > 100_000:  # bound memory under a spray of distinct keys
            self._prune()

    def reset(self, key: str) -> None:
        self._events.pop(key, None)

    def _prune(self) -> None:
        for key in list(self._events):
            if not self._live(key):
                del self._events[key]
