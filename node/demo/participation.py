"""What needs the nodes serving and federating: the neighbourhood nodes follow the city, the
city speaks (announcements, a workshop, a running survey), residents read, answer and reply
on their home nodes, and the counts travel back to the city.

All of it goes through the services, as the dashboard and the residents' pages would.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from node.api.app_keys import (
    ACCOUNTS,
    ANNOUNCEMENTS,
    CITY_EVENTS,
    CONFIG,
    DATABASE,
    FEDERATION,
    PEERING,
    REPORTING,
    SURVEYS,
)
from node.demo import vocabulary as words
from node.demo.topology import (
    ANNOUNCEMENT_VIEW_SHARE,
    SURVEY_ANSWER_SHARE,
    WORKSHOP_RSVP_SHARE,
)
from node.federation.runtime import Federation
from node.models import User
from node.models.surveys import AnswerMode, Answers, QuestionKind, SurveyQuestion
from node.services.announcements import AnnouncementDraft
from node.services.city_broadcast import Targets
from node.services.city_events import ANNOUNCEMENT_KIND, EVENT_KIND, EventDraft
from node.services.surveys import SurveyDraft
from node.storage import activities as activities_store
from node.storage import inbox as inbox_store
from node.storage import users as users_store

DAY = 86_400
CONCURRENT_CALLS = 64  # service calls in flight at once: enough to keep the writer busy


class DemoError(RuntimeError):
    """The demo could not be brought to life (a node did not answer, a follow failed)."""


@dataclass
class ParticipationCounts:
    announcements: int = 0
    survey_answers: int = 0
    announcement_views: int = 0
    workshop_rsvps: int = 0


async def _in_batches(calls: Iterable[Awaitable[object]]) -> None:
    batch: list[Awaitable[object]] = []
    for call in calls:
        batch.append(call)
        if len(batch) == CONCURRENT_CALLS:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


async def _pending(federation: Federation) -> int:
    def count(conn) -> int:
        due = activities_store.list_due_deliveries(conn, int(time.time()), 10_000)
        waiting = inbox_store.list_unprocessed_inbox_items(conn, 10_000)
        return len(due) + len(waiting)

    return await federation.db.read("demo_pending_work", count)


async def settle(apps: list[web.Application], with_reports: bool, rounds: int = 100) -> None:
    """Process and deliver on every node until none has anything left to do now; with
    `with_reports`, also run each node's reporting pass in between (Federation.settle)."""
    federations = [app[FEDERATION] for app in apps]
    for _ in range(rounds):
        for federation in federations:
            if with_reports:
                await federation.settle()
            else:
                await federation.processor.drain()
                await federation.worker.drain()
        if not any([await _pending(federation) for federation in federations]):
            return
    raise DemoError("the nodes did not settle: see the log for failed deliveries")


class Participation:
    def __init__(
        self,
        city: web.Application,
        neighbourhood_nodes: list[web.Application],
        staff_email: str,
        rng: random.Random,
    ) -> None:
        self._city = city
        self._others = neighbourhood_nodes
        self._apps = [city, *neighbourhood_nodes]
        self._staff_email = staff_email
        self._rng = rng
        self._now = int(time.time())
        self.counts = ParticipationCounts()

    async def bring_to_life(self, resident_ids: dict[int, list[int]]) -> ParticipationCounts:
        """`resident_ids`: per app (by position in [city, *others]), its residents' user ids.

        Every node's reporting loop must be stopped before it first ran: a node reports a
        survey's participation as soon as the survey arrives, and any later count waits for
        the next interval. Paused until everything is written, each neighbourhood's first
        report to the city already holds it all; then the loops start again."""
        await self._follow_the_city()
        await self._city_speaks()
        await settle(self._apps, with_reports=False)
        for index, app in enumerate(self._apps):
            users = await app[DATABASE].read("demo_users", _users, resident_ids.get(index, []))
            await self._residents_take_part(app, users)
        for app in self._apps:
            await app[REPORTING].drain()
        await settle(self._apps, with_reports=True)
        for app in self._apps:
            app[REPORTING].start()
        return self.counts

    async def _follow_the_city(self) -> None:
        city_config = self._city[CONFIG]
        city_host = city_config.base_url.split("://", 1)[1]
        for app in self._others:
            host = app[CONFIG].base_url.split("://", 1)[1]
            await self._city[PEERING].set_host_policy(host, "allow", "demo: neighbourhood node")
        for app in self._others:
            await app[PEERING].follow_city(f"{city_config.city.handle}@{city_host}", None)
        await settle(self._apps, with_reports=False)
        following = await self._city[ANNOUNCEMENTS].remote_neighbourhoods()
        if len(following) != len(self._others):
            raise DemoError(
                f"only {len(following)} of {len(self._others)} neighbourhood nodes follow the city"
            )

    async def _city_speaks(self) -> None:
        staff = await self._city[ACCOUNTS].user_by_email(self._staff_email)
        assert staff is not None, "the generator creates the city staff account"
        for title, body, urgent, pinned, days in words.ANNOUNCEMENTS:
            await self._city[ANNOUNCEMENTS].publish(
                staff,
                AnnouncementDraft(
                    title=title,
                    body=body,
                    urgent=urgent,
                    pinned=pinned,
                    expires_at=self._now + days * DAY if days else None,
                    all_neighbourhoods=True,
                ),
            )
            self.counts.announcements += 1
        tz = ZoneInfo(self._city[CONFIG].node.timezone)
        evening = datetime.fromtimestamp(self._now, tz).replace(
            hour=18, minute=30, second=0, microsecond=0
        ) + timedelta(days=12)
        title, description, location = words.WORKSHOP
        await self._city[CITY_EVENTS].create(
            staff,
            EventDraft(
                title=title,
                description=description,
                location=location,
                starts_at=int(evening.timestamp()),
                ends_at=int((evening + timedelta(hours=2)).timestamp()),
                workshop=True,
                targets=Targets(everywhere=True),
            ),
        )
        await self._city[SURVEYS].create(
            staff,
            SurveyDraft(
                title=words.SURVEY_TITLE,
                intro=words.SURVEY_INTRO,
                questions=tuple(
                    SurveyQuestion(text, QuestionKind(kind), options, shared=kind == "text")
                    for text, kind, options in words.SURVEY_QUESTIONS
                ),
                answer_mode=AnswerMode.HOUSEHOLD,
                opens_at=self._now - 9 * DAY,
                closes_at=self._now + 19 * DAY,
                targets=Targets(everywhere=True),
            ),
        )

    async def _residents_take_part(self, app: web.Application, users: list[User]) -> None:
        """On one node: households answer the survey, residents open the city's messages and
        answer its workshop invitation."""
        by_neighbourhood: dict[int, list[User]] = defaultdict(list)
        for user in users:
            by_neighbourhood[user.neighbourhood_id or 0].append(user)
        for residents in by_neighbourhood.values():
            messages = await app[ANNOUNCEMENTS].for_resident(residents[0])
            surveys = await app[SURVEYS].list_received(residents[0])
            announcements = [m.id for m in messages if m.kind == ANNOUNCEMENT_KIND]
            events = [m.id for m in messages if m.kind == EVENT_KIND]
            if not surveys or not events:
                raise DemoError(f"{app[CONFIG].base_url} did not receive the city's messages")
            households: dict[int, list[User]] = defaultdict(list)
            for user in residents:
                households[user.household_id or 0].append(user)
            answering = self._rng.sample(
                sorted(households), round(len(households) * SURVEY_ANSWER_SHARE)
            )
            leaning = self._leaning()
            await _in_batches(
                app[SURVEYS].answer(
                    self._rng.choice(households[h]), surveys[0].message_id, self._answer(leaning)
                )
                for h in answering
            )
            self.counts.survey_answers += len(answering)
            views = [
                (user, message)
                for user in residents
                for message in announcements
                if self._rng.random() < ANNOUNCEMENT_VIEW_SHARE
            ]
            await _in_batches(app[CITY_EVENTS].record_view(u, m) for u, m in views)
            self.counts.announcement_views += len(views)
            going = [u for u in residents if self._rng.random() < WORKSHOP_RSVP_SHARE]
            await _in_batches(
                app[CITY_EVENTS].rsvp(u, events[0], self._rng.choice(("going", "maybe")))
                for u in going
            )
            self.counts.workshop_rsvps += len(going)

    def _leaning(self) -> list[float]:
        """How one neighbourhood leans on the first question: each has its own priorities."""
        return [self._rng.uniform(0.5, 3.0) for _ in words.SURVEY_QUESTIONS[0][2]]

    def _answer(self, leaning: list[float]) -> Answers:
        rng = self._rng
        wishes = words.SURVEY_QUESTIONS[1][2]
        answer: Answers = {
            0: [rng.choices(range(len(leaning)), leaning)[0]],
            1: sorted(rng.sample(range(len(wishes)), rng.randint(1, 3))),
            2: [rng.choices(range(5), (1, 2, 4, 5, 3))[0]],
        }
        if rng.random() < 0.3:
            answer[3] = rng.choice(words.SURVEY_MESSAGES)
        return answer


def _users(conn, ids: list[int]) -> list[User]:
    return [user for i in ids if (user := users_store.get_user_by_id(conn, i)) is not None]
