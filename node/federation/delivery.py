"""The delivery worker: sends queued activities to other servers' inboxes.

The queue lives in SQLite (table `deliveries`), so a node killed in the middle of a fan-out
loses nothing: on restart every delivery not marked delivered is sent again. A receiver may
then see an activity twice, and deduplicates it by id, as every ActivityPub server does.

Failures are retried with exponential backoff (30 s doubling, at most 6 h apart) for
`federation.delivery_give_up_hours`; after that, or on a permanent refusal (4xx other than
408/429), the delivery becomes a dead letter the admin can see and retry.

Each inbox receives its activities in the order they were queued: while one waits for a
retry, the later ones to the same inbox wait behind it (an Update never overtakes its Create,
nor a Delete the object it withdraws).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from node.federation.actors import LocalActor, LocalActors
from node.federation.background import WakeableLoop
from node.federation.remote_fetch import ACTIVITY_JSON, check_url
from node.federation.signing import CAVAGE, RFC9421, RequestSigner
from node.models.federation import DueDelivery
from node.storage import activities as activities_store
from node.storage import peers as peers_store
from node.storage.database import Database

log = logging.getLogger(__name__)

BATCH = 500
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Outcome:
    delivery: DueDelivery
    status: int | None
    error: str | None
    retry_after: int | None = None
    scheme: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(attempts: int, retry_after: int | None) -> int:
    """Seconds before the next try: doubling from 30 s, capped, with a little jitter."""
    delay = min(FIRST_RETRY_SECONDS * (2**attempts), MAX_RETRY_SECONDS)
    delay = int(delay * random.uniform(0.9, 1.1))
    return max(delay, retry_after or 0)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        session: aiohttp.ClientSession,
        signer: RequestSigner,
        actors: LocalActors,
        scheme_for_host: Callable[[str], str],
        remember_scheme: Callable[[str, str], None],
        allow_private: bool,
        concurrency: int,
        give_up_hours: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._session = session
        self._signer = signer
        self._actors = actors
        self._scheme_for_host = scheme_for_host
        self._remember_scheme = remember_scheme
        self._allow_private = allow_private
        self._concurrency = concurrency
        self._give_up_seconds = give_up_hours * 3600
        self._clock = clock
        self._loop = WakeableLoop("delivery-worker", self._deliver_batch, self._idle_timeout)
        self.wake = self._loop.wake
        self.start = self._loop.start
        self.stop = self._loop.stop
        self.drain = self._loop.drain
        self.sent = 0

    async def deliver_due(self) -> int:
        """Send one batch of due deliveries; return how many were attempted."""
        return await self._loop.run_once()

    async def _idle_timeout(self) -> float:
        """Until the next retry is due (at most 30 s): new work wakes the loop sooner."""
        next_due = await self._db.read("next_due_delivery", activities_store.next_due_time)
        return 30.0 if next_due is None else max(0.05, min(30.0, next_due - self._clock()))

    async def _deliver_batch(self) -> int:
        now = self._clock()
        due = await self._db.read(
            "list_due_deliveries", activities_store.list_due_deliveries, int(now), BATCH
        )
        if not due:
            return 0
        semaphore = asyncio.Semaphore(self._concurrency)
        queues: dict[str, list[DueDelivery]] = {}
        for delivery in due:
            queues.setdefault(delivery.inbox, []).append(delivery)

        async def in_order(queue: list[DueDelivery]) -> list[Outcome]:
            """One inbox's deliveries, one after the other in queue order: after a failure,
            the rest wait for the failed one's retry, so the receiver never sees them early."""
            outcomes = []
            for delivery in queue:
                async with semaphore:
                    outcome = await self._send(delivery)
                outcomes.append(outcome)
                if not outcome.delivered:
                    break
            return outcomes

        sent = await asyncio.gather(*(in_order(queue) for queue in queues.values()))
        await self._record([outcome for outcomes in sent for outcome in outcomes])
        return len(due)

    async def _send(self, delivery: DueDelivery) -> Outcome:
        try:
            check_url(delivery.inbox, self._allow_private)
        except Exception as exc:
            return Outcome(delivery, 400, str(exc))
        actor = self._actors.by_uri(delivery.actor)
        if actor is None:
            return Outcome(delivery, 400, f"{delivery.actor} is not a local actor")
        scheme = self._scheme_for_host(delivery.host)
        outcome = await self._post(delivery, actor, scheme)
        if outcome.status in (401, 403):
            # The server may not speak this signature scheme: try the other one at once.
            other = CAVAGE if scheme == RFC9421 else RFC9421
            second = await self._post(delivery, actor, other)
            if second.delivered:
                return second
        return outcome

    async def _post(self, delivery: DueDelivery, actor: LocalActor, scheme: str) -> Outcome:
        headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
        headers.update(self._signer.sign("POST", delivery.inbox, delivery.body, actor, scheme))
        try:
            async with self._session.post(
                delivery.inbox, data=delivery.body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                retry_after = response.headers.get("Retry-After", "")
                return Outcome(
                    delivery,
                    response.status,
                    None if response.status < 300 else f"HTTP {response.status}",
                    int(retry_after) if retry_after.isdigit() else None,
                    scheme,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Outcome(delivery, None, f"{type(exc).__name__}: {exc}"[:300])

    async def _record(self, outcomes: list[Outcome]) -> None:
        now = int(self._clock())
        delivered = [o.delivery.id for o in outcomes if o.delivered]
        failed = [o for o in outcomes if not o.delivered]
        schemes = {o.delivery.host: o.scheme for o in outcomes if o.delivered and o.scheme}

        def record(conn) -> None:
            for status in {o.status for o in outcomes if o.delivered}:
                ids = [o.delivery.id for o in outcomes if o.delivered and o.status == status]
                activities_store.mark_delivered(conn, ids, status, now)
            for outcome in failed:
                d = outcome.delivery
                permanent = (
                    outcome.status is not None
                    and 400 <= outcome.status < 500
                    and outcome.status not in RETRYABLE_STATUSES
                )
                expired = now - d.created_at >= self._give_up_seconds
                next_at = None
                if not permanent and not expired:
                    next_at = now + retry_delay(d.attempts, outcome.retry_after)
                activities_store.mark_failed(
                    conn, d.id, outcome.status, outcome.error or "failed", next_at, now
                )
            for host, scheme in schemes.items():
                peers_store.put_signature_scheme(conn, host, scheme, now)

        await self._db.write("record_deliveries", record)
        self.sent += len(delivered)
        for host, scheme in schemes.items():
            self._remember_scheme(host, scheme)
        if failed:
            log.info("%d deliveries failed this pass; will retry or give up", len(failed))
