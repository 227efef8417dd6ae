"""The loop behind the delivery worker and the inbox processor: work that arrives while it is
busy or about to sleep is picked up at once, not after the idle timeout."""

from __future__ import annotations

import asyncio

from node.federation.background import WakeableLoop


async def test_work_announced_while_the_loop_decides_to_sleep_is_done_at_once():
    queue: list[str] = []
    done = asyncio.Event()
    arrived_late = False

    async def run_pass() -> int:
        taken = len(queue)
        queue.clear()
        if taken:
            done.set()
        return taken

    async def idle_timeout() -> float:
        nonlocal arrived_late
        if not arrived_late:
            # Between an empty pass and the sleep, an activity is queued and the loop woken,
            # as a publication does while the worker reads when the next retry is due.
            arrived_late = True
            queue.append("activity")
            loop.wake()
        await asyncio.sleep(0)
        return 30.0

    loop = WakeableLoop("test-loop", run_pass, idle_timeout)
    loop.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        await loop.stop()
    assert queue == []


async def test_work_announced_during_a_pass_gets_a_pass_of_its_own():
    passes: list[int] = []
    queue: list[str] = []
    second_done = asyncio.Event()

    async def run_pass() -> int:
        taken = len(queue)
        queue.clear()
        passes.append(taken)
        if len(passes) == 1:
            queue.append("second")  # queued while the first pass still runs
            loop.wake()
            return taken  # nothing: the pass read the queue before the activity came
        if taken:
            second_done.set()
        return taken

    loop = WakeableLoop("test-loop", run_pass, lambda: asyncio.sleep(0, result=30.0))
    loop.start()
    try:
        await asyncio.wait_for(second_done.wait(), timeout=5)
    finally:
        await loop.stop()
    assert passes[:2] == [0, 1]
