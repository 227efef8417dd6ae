"""Reporting aggregates to the city: the only way anything about residents reaches it.

Each participation feature (surveys, city events, announcement views, calls for volunteers,
budgets, statistics) registers a `ReportSource`: which subjects its neighbourhoods report on
and the aggregate figures for one of them. A background pass asks every source, and sends
what changed since the last report:

- to the city on this node: stored straight into `city_reports`, by the same code path;
- to a city on another node: a signed `Create` (first) or `Update` of a `quartier:Report`
  from the neighbourhood's `Group` actor, delivered to the city's inbox.

Interim reports go at most once per `participation.report_interval_minutes`; a final report
(a survey or budget that closed) goes at once, exactly once, and never changes after. Sources
compute counts with small cells already suppressed: nothing here sees an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from node.config import Config
from node.federation.actor_directory import ActorError
from node.federation.background import WakeableLoop
from node.federation.outbox import iso_now
from node.federation.runtime import Federation
from node.models.city import Figures, ReportState, ReportSubject
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage.database import Database

log = logging.getLogger(__name__)

REPORT_TYPE = "quartier:Report"


class ReportSource(Protocol):
    """One kind of aggregate. Both methods run on the database thread, inside one read.

    `subjects` lists what may still be reported on, each with the state of its last report
    (None before the first); a subject whose final report went is left out. `figures` gets
    that state too: a source that stays silent until there is something to say tells so
    from it.

    A source whose figures are never final (statistics: a neighbourhood's life goes on) says
    so with `ever_final = False`, and its figures are not even computed while its last report
    is younger than the interval: they could not be sent anyway."""

    kind: str

    def subjects(self, conn, now: int) -> list[tuple[ReportSubject, ReportState | None]]: ...

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None: ...


class CityObjectSubjects:
    """Subjects for a source that reports on city objects of one kind (surveys, events,
    budgets...): every live one, once per neighbourhood of this node it went to."""

    kind: str  # the report's kind
    object_kind: str  # city_messages.kind

    def subjects(self, conn, now: int) -> list[tuple[ReportSubject, ReportState | None]]:
        return city_reports_store.list_open_report_subjects(conn, self.object_kind, self.kind)


@dataclass(frozen=True)
class _Change:
    kind: str
    subject: ReportSubject
    figures: Figures
    figures_hash: str
    previous: ReportState | None
    neighbourhood_slug: str
    neighbourhood_name: str


def _hash(figures: Figures) -> str:
    canonical = json.dumps([figures.data, figures.final], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Reporting:
    def __init__(
        self,
        db: Database,
        config: Config,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._federation = federation
        self._interval = config.participation.report_interval_minutes * 60
        self._clock = clock
        self._sources: list[ReportSource] = []
        # Each city message received wakes the pass, which asks every source about every
        # live subject: a burst of them must make one pass, not one each (a second's delay
        # is nothing to a report, and interim ones wait for the interval anyway).
        self._loop = WakeableLoop(
            "reporting", self._run_pass, self._idle_timeout, gather_seconds=1.0
        )
        self.wake = self._loop.wake
        self.start = self._loop.start
        self.stop = self._loop.stop
        self.drain = self._loop.drain
        self.run_once = self._loop.run_once

    def register(self, source: ReportSource) -> None:
        self._sources.append(source)

    async def _idle_timeout(self) -> float:
        return float(self._interval)

    async def _run_pass(self) -> int:
        now = int(self._clock())
        changes = await self._db.read("report_changes", self._changes, now)
        sent = 0
        for change in changes:
            try:
                await self._send(change, now)
                sent += 1
            except ActorError as exc:  # the city's server is unreachable: next pass
                log.warning("cannot report to %s: %s", change.subject.city_actor, exc)
        return sent

    def _changes(self, conn, now: int) -> list[_Change]:
        changes = []
        neighbourhoods = {n.id: n for n in neighbourhoods_store.list_neighbourhoods(conn)}
        for source in self._sources:
            for subject, state in source.subjects(conn, now):
                neighbourhood = neighbourhoods.get(subject.neighbourhood_id)
                if neighbourhood is None or (state is not None and state.final):
                    continue  # a final report is never followed by another, whatever lists it
                if (
                    state is not None
                    and not getattr(source, "ever_final", True)
                    and now - state.sent_at < self._interval
                ):
                    continue  # only interim figures, and too soon for those
                figures = source.figures(conn, subject, state, now)
                if figures is None:
                    continue
                figures_hash = _hash(figures)
                if state is not None and state.figures_hash == figures_hash:
                    continue
                if state is not None and not figures.final and now - state.sent_at < self._interval:
                    continue  # interim counts wait for the interval: no per-answer trail
                changes.append(
                    _Change(
                        source.kind,
                        subject,
                        figures,
                        figures_hash,
                        state,
                        neighbourhood.slug,
                        neighbourhood.name,
                    )
                )
        return changes

    async def _send(self, change: _Change, now: int) -> None:
        actors = self._federation.actors
        group = actors.neighbourhood(change.neighbourhood_slug, change.neighbourhood_name)
        subject = change.subject
        previous = change.previous
        state = ReportState(
            report_uri=previous.report_uri
            if previous
            else self._federation.outbox.new_object_uri(),
            sequence=(previous.sequence + 1) if previous else 1,
            figures_hash=change.figures_hash,
            final=change.figures.final,
            sent_at=now,
        )
        city = actors.city()
        if city is not None and subject.city_actor == city.uri:

            def store_locally(conn) -> None:
                city_reports_store.put_city_report(
                    conn,
                    subject_uri=subject.subject_uri,
                    kind=change.kind,
                    neighbourhood_uri=group.uri,
                    neighbourhood_name=group.name,
                    host=actors.host,
                    sequence=state.sequence,
                    final=state.final,
                    figures=change.figures.data,
                    now=now,
                )
                city_reports_store.put_report_state(
                    conn, subject.subject_uri, change.kind, subject.neighbourhood_id, state
                )

            await self._db.write("store_local_report", store_locally)
            return
        remote_city = await self._federation.directory.actor(subject.city_actor)
        report = report_object(
            state.report_uri,
            group.uri,
            subject.subject_uri,
            subject.city_actor,
            change.kind,
            state.sequence,
            state.final,
            change.figures.data,
            now,
        )
        activity = self._federation.outbox.prepare(
            group,
            "Create" if previous is None else "Update",
            report,
            now,
            source="report",
            to=[subject.city_actor],
        )

        def queue(conn) -> None:
            self._federation.outbox.enqueue(
                conn, activity, [remote_city.delivery_inbox], False, now
            )
            city_reports_store.put_report_state(
                conn, subject.subject_uri, change.kind, subject.neighbourhood_id, state
            )

        await self._db.write("queue_report", queue)
        self._federation.outbox.wake()


def report_object(
    report_uri: str,
    group_uri: str,
    subject_uri: str,
    city_uri: str,
    kind: str,
    sequence: int,
    final: bool,
    figures: dict[str, Any],
    now: int,
) -> dict[str, Any]:
    return {
        "id": report_uri,
        "type": REPORT_TYPE,
        "attributedTo": group_uri,
        "inReplyTo": subject_uri,
        "to": [city_uri],
        "published": iso_now(now),
        "quartier:reportKind": kind,
        "quartier:sequence": sequence,
        "quartier:final": final,
        "quartier:figures": figures,
    }
