"""A background pass that runs whenever it is woken, or after an idle timeout.

The delivery worker and the inbox processor are both such loops. One pass runs at a time,
so a test's explicit `drain()` and the loop never pick up the same rows twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class WakeableLoop:
    def __init__(
        self,
        name: str,
        run_pass: Callable[[], Awaitable[int]],
        idle_timeout: Callable[[], Awaitable[float]],
        gather_seconds: float = 0.0,
    ) -> None:
        """`run_pass` returns how much it handled; `idle_timeout` how long to wait when idle;
        `gather_seconds` how long a wake-up waits for others, so that a burst of them (a
        thousand activities received in a second) makes one pass, not a thousand."""
        self._name = name
        self._gather_seconds = gather_seconds
        self._run_pass = run_pass
        self._idle_timeout = idle_timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._pass_lock = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> int:
        async with self._pass_lock:
            return await self._run_pass()

    async def drain(self, max_passes: int = 1000) -> None:
        """Run passes until one handles nothing (tests wait with this, never by sleeping)."""
        for _ in range(max_passes):
            if not await self.run_once():
                return

    async def _run(self) -> None:
        while True:
            # Cleared before the pass, never after it: a wake-up during the pass or while the
            # idle timeout is read (new work the pass did not see) keeps the loop from sleeping.
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception:  # the loop must outlive any one bad pass
                log.exception("%s: pass failed", self._name)
                handled = 0
            if handled:
                continue
            timeout = await self._idle_timeout()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                continue
            if self._gather_seconds:
                await asyncio.sleep(self._gather_seconds)
