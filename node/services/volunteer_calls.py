"""Calls for volunteers: the city asks chosen neighbourhoods; volunteers answer at home.

The city publishes a `quartier:VolunteerCall` through CityBroadcast. On every node that hosts
a targeted neighbourhood (the city's own, or one that follows it), the residents who
registered as volunteers are notified once, and any resident of that neighbourhood may
answer on their home node. The answer stays there; what reaches the city is the report
`volunteer_replies`: per neighbourhood, how many answered, and the contact of those - and
only those - who ticked "share my contact", exactly as they typed it, sorted, with no
account id. Unticking it removes the contact from the next report. The report is computed by
`VolunteerRepliesSource` in node/services/volunteer_call_reports.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from node.config import Config
from node.errors import N_, Conflict, InvalidInput, NotFound
from node.federation.outbox import iso_now, unix_time_of
from node.federation.processing import sanitise_city_html
from node.federation.runtime import Federation
from node.models import User
from node.models.city import CityObject
from node.models.volunteer_calls import (
    NeighbourhoodReplies,
    ReceivedCall,
    ResidentCallView,
    VolunteerCall,
    VolunteerCallResults,
    VolunteerCallSummary,
    VolunteerReply,
)
from node.services.city_broadcast import (
    LOCAL,
    CityBroadcast,
    RemoteNeighbourhood,
    ResidentView,
    Targets,
)
from node.services.reporting import Reporting
from node.services.residency import resident_neighbourhood
from node.services.rich_text import render_markdown
from node.services.volunteer_call_reports import (
    KIND,
    MAX_CONTACT,
    MAX_MESSAGE,
    MAX_NAME,
    REPORT_KIND,
    VolunteerRepliesSource,
    neighbourhood_replies,
    report_count,
)
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import helpers_registry as helpers_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import volunteer_calls as store
from node.storage.database import Database

log = logging.getLogger(__name__)

SOURCE = "volunteer_call"
OBJECT_TYPE = "quartier:VolunteerCall"
NEEDED = "quartier:needed"

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_NEEDED = 100_000
FORM_ORDER = ("title", "description", "needed", "ends_at", "targets")


@dataclass(frozen=True)
class VolunteerCallDraft:
    title: str
    description: str
    targets: Targets
    needed: int | None = None
    ends_at: int | None = None


@dataclass(frozen=True)
class VolunteerAnswer:
    """What a resident submits. Name, contact and message are kept only when sharing."""

    message: str = ""
    share_contact: bool = False
    contact_name: str = ""
    contact_details: str = ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def received_call(obj: CityObject) -> ReceivedCall:
    """A call as residents see it, from the stored document (local or remote alike)."""
    document = obj.document
    needed = report_count(document.get(NEEDED))
    return ReceivedCall(
        message_id=obj.message_id,
        object_uri=obj.object_uri,
        city_name=obj.actor_name,
        title=str(document.get("name") or "")[:500],
        # A remote document is stored as received: clean it as announcements are cleaned.
        content_html=sanitise_city_html(document.get("content")),
        needed=needed or None,
        ends_at=unix_time_of(document.get("endTime")),
        published_at=obj.published_at,
        withdrawn=obj.withdrawn_at is not None,
    )


class VolunteerCalls:
    def __init__(
        self,
        db: Database,
        config: Config,
        broadcast: CityBroadcast,
        reporting: Reporting,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._broadcast = broadcast
        self._reporting = reporting
        self._federation = federation
        self._clock = clock
        self.source = VolunteerRepliesSource()
        reporting.register(self.source)
        # Volunteers hear of a call when it arrives from another node (and, through the
        # settle hook, deterministically in tests and the demo); local calls at publishing.
        self._notifying: asyncio.Task | None = None
        self._notify_again = False
        federation.processor.on_city_message(self._city_message_changed)
        federation.add_settle_hook(self._notify_quietly)

    # -- the city's side ----------------------------------------------------------------------

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        return await self._broadcast.remote_neighbourhoods()

    def draft_from_form(self, values: dict[str, str], targets: list[str]) -> VolunteerCallDraft:
        """A checked draft from the staff form, every problem reported at once (InvalidInput)."""
        problems: dict[str, str | tuple[str, dict]] = {}
        needed: int | None = None
        raw_needed = values.get("needed", "").strip()
        if raw_needed:
            if raw_needed.isascii() and raw_needed.isdigit() and len(raw_needed) <= 9:
                needed = int(raw_needed)
            else:
                problems["needed"] = N_("Give the number of volunteers as a whole number.")
        ends_at: int | None = None
        raw_end = values.get("ends_at", "").strip()
        if raw_end:
            try:
                day = date.fromisoformat(raw_end)
            except ValueError:
                problems["ends_at"] = N_("Give the date as day, month and year.")
            else:
                # Open through that whole day, where the city is.
                start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(self._tz))
                ends_at = int((start + timedelta(days=1)).timestamp()) - 1
        draft = VolunteerCallDraft(
            title=values.get("title", ""),
            description=values.get("description", ""),
            targets=Targets.from_form(targets),
            needed=needed,
            ends_at=ends_at,
        )
        try:
            checked = self._check(draft)
        except InvalidInput as exc:
            found = {**exc.fields, **problems}
            # In the order of the form, so the error summary reads top to bottom.
            raise InvalidInput({f: found[f] for f in FORM_ORDER if f in found}) from None
        if problems:
            raise InvalidInput(problems)
        return checked

    @property
    def _tz(self) -> str:
        return self._config.node.timezone

    def _check(self, draft: VolunteerCallDraft) -> VolunteerCallDraft:
        problems: dict[str, str | tuple[str, dict]] = {}
        title = _one_line(draft.title)
        if not 3 <= len(title) <= MAX_TITLE:
            problems["title"] = (
                N_("Give the call a title of 3 to %(max)d characters."),
                {"max": MAX_TITLE},
            )
        if not draft.description.strip() or len(draft.description) > MAX_DESCRIPTION:
            problems["description"] = (
                N_("Describe what volunteers would do (at most %(max)d characters)."),
                {"max": MAX_DESCRIPTION},
            )
        if draft.needed is not None and not 1 <= draft.needed <= MAX_NEEDED:
            problems["needed"] = (
                N_("Give a number of volunteers from 1 to %(max)d, or leave it empty."),
                {"max": MAX_NEEDED},
            )
        if draft.ends_at is not None and draft.ends_at <= self._clock():
            problems["ends_at"] = N_("The end date must be in the future.")
        if draft.targets.empty:
            problems["targets"] = N_("Choose at least one neighbourhood, or all of them.")
        if problems:
            raise InvalidInput(problems)
        return VolunteerCallDraft(
            title=title,
            description=draft.description.strip(),
            targets=draft.targets,
            needed=draft.needed,
            ends_at=draft.ends_at,
        )

    async def publish(self, author: User, draft: VolunteerCallDraft) -> VolunteerCall:
        """Send the call; volunteers of local neighbourhoods are told at once."""
        self._broadcast.city()
        draft = self._check(draft)
        now = int(self._clock())
        uri = self._broadcast.new_object_uri()
        html = render_markdown(draft.description)
        obj: dict[str, Any] = {"type": OBJECT_TYPE, "id": uri, "name": draft.title, "content": html}
        if draft.ends_at is not None:
            obj["endTime"] = iso_now(draft.ends_at)
        if draft.needed is not None:
            obj[NEEDED] = draft.needed

        def record(conn) -> int:
            return store.put_volunteer_call(
                conn,
                object_uri=uri,
                title=draft.title,
                description=draft.description,
                needed=draft.needed,
                ends_at=draft.ends_at,
                created_by=author.id,
                now=now,
            )

        call_id = await self._broadcast.publish(
            source=SOURCE,
            kind=KIND,
            obj=obj,
            targets=draft.targets,
            view=ResidentView(title=draft.title, content_html=html, expires_at=draft.ends_at),
            public=False,  # volunteers answer at home; the fediverse has nothing to answer
            store=record,
        )
        # A second interaction, but an idempotent one: if it failed, the next city message
        # or settle pass tells these volunteers.
        await self.notify_volunteers()
        return await self.get(call_id)

    async def get(self, call_id: int) -> VolunteerCall:
        call = await self._db.read(
            "get_volunteer_call_by_id", store.get_volunteer_call_by_id, call_id
        )
        if call is None:
            raise NotFound(N_("This call for volunteers does not exist."))
        return call

    async def summaries(self) -> list[VolunteerCallSummary]:
        """The city's calls, newest first, with the answers reported so far."""
        self._broadcast.city()

        def read(conn) -> list[VolunteerCallSummary]:
            totals: dict[str, int] = {}
            for report in city_reports_store.list_city_reports_of_kind(conn, REPORT_KIND):
                figures = report.figures if isinstance(report.figures, dict) else {}
                answers = report_count(figures.get("answers")) or 0
                totals[report.subject_uri] = totals.get(report.subject_uri, 0) + answers
            return [
                VolunteerCallSummary(call, totals.get(call.object_uri, 0))
                for call in store.list_volunteer_calls(conn)
            ]

        return await self._db.read("list_volunteer_calls", read)

    async def results(self, call_id: int) -> VolunteerCallResults:
        """Answers per neighbourhood, and the contacts volunteers chose to share."""
        self._broadcast.city()
        actors = self._federation.actors
        remote = {r.uri: r for r in await self.remote_neighbourhoods()}

        def read(conn) -> VolunteerCallResults | None:
            call = store.get_volunteer_call_by_id(conn, call_id)
            if call is None:
                return None
            reports = {
                r.neighbourhood_uri: r
                for r in city_reports_store.list_city_reports(conn, call.object_uri, REPORT_KIND)
            }
            rows: list[NeighbourhoodReplies] = []
            for target in call.targets:
                if target.startswith(LOCAL):
                    local_id = int(target[len(LOCAL) :])
                    n = neighbourhoods_store.get_neighbourhood_by_id(conn, local_id)
                    if n is None:
                        continue
                    uri, name, host = actors.neighbourhood(n.slug, n.name).uri, n.name, actors.host
                else:
                    known = remote.get(target)
                    uri, name = target, (known.name if known else target)
                    host = known.host if known else ""
                rows.append(neighbourhood_replies(name, host, reports.pop(uri, None)))
            # A neighbourhood no longer in the list (it stopped following) still counts.
            rows.extend(
                neighbourhood_replies(r.neighbourhood_name, r.host, r) for r in reports.values()
            )
            rows.sort(key=lambda r: (r.name.casefold(), r.host))
            return VolunteerCallResults(call, tuple(rows))

        found = await self._db.read("volunteer_call_results", read)
        if found is None:
            raise NotFound(N_("This call for volunteers does not exist."))
        return found

    async def withdraw(self, author: User, call_id: int) -> None:
        """Take the call back everywhere (federated as Delete)."""
        call = await self.get(call_id)
        if call.withdrawn_at is not None:
            return
        now = int(self._clock())
        await self._broadcast.withdraw(
            source=SOURCE,
            object_uri=call.object_uri,
            store=lambda conn: store.update_volunteer_call_withdrawn(conn, call_id, now),
        )

    # -- the resident's side (on their home node) ---------------------------------------------

    async def _received(self, user: User, message_id: int) -> ReceivedCall:
        neighbourhood_id = resident_neighbourhood(user)
        obj = await self._db.read(
            "get_city_object_for_neighbourhood",
            city_messages_store.get_city_object_for_neighbourhood,
            message_id,
            neighbourhood_id,
            KIND,
        )
        if obj is None:
            raise NotFound(N_("This call for volunteers does not exist."))
        return received_call(obj)

    async def view(self, user: User, message_id: int) -> ResidentCallView:
        call = await self._received(user, message_id)
        reply = await self._db.read(
            "get_volunteer_reply", store.get_volunteer_reply, call.object_uri, user.id
        )
        return ResidentCallView(call, reply, call.open_at(self._clock()))

    def _check_answer(self, answer: VolunteerAnswer, now: int) -> VolunteerReply:
        problems: dict[str, str | tuple[str, dict]] = {}
        message = answer.message.strip()
        if len(message) > MAX_MESSAGE:
            problems["message"] = (N_("Use at most %(max)d characters."), {"max": MAX_MESSAGE})
        name = contact = ""
        if answer.share_contact:
            name = _one_line(answer.contact_name)
            contact = _one_line(answer.contact_details)
            if not name:
                problems["contact_name"] = N_("Give the name the city should use.")
            elif len(name) > MAX_NAME:
                problems["contact_name"] = (
                    N_("Use at most %(max)d characters."),
                    {"max": MAX_NAME},
                )
            if not contact:
                problems["contact_details"] = N_(
                    "Give a phone number or an e-mail address, or untick the box to stay anonymous."
                )
            elif len(contact) > MAX_CONTACT:
                problems["contact_details"] = (
                    N_("Use at most %(max)d characters."),
                    {"max": MAX_CONTACT},
                )
        if problems:
            raise InvalidInput(problems)
        # Not sharing: nothing meant for the city is kept, so nothing can slip out later.
        return VolunteerReply(
            share_contact=answer.share_contact,
            contact_name=name,
            contact_details=contact,
            message=message if answer.share_contact else "",
            answered_at=now,
        )

    async def answer(self, user: User, message_id: int, answer: VolunteerAnswer) -> VolunteerReply:
        """Volunteer, or change the answer, while the call is open.

        Reporting is not woken: the next periodic pass sends the counts, so the city cannot
        tell one answer's moment from the next (no per-answer trail)."""
        neighbourhood_id = resident_neighbourhood(user)
        call = await self._received(user, message_id)
        now = int(self._clock())
        if not call.open_at(now):
            raise Conflict(N_("This call for volunteers is closed."))
        reply = self._check_answer(answer, now)
        await self._db.write(
            "put_volunteer_reply",
            lambda conn: store.put_volunteer_reply(
                conn,
                call_uri=call.object_uri,
                user_id=user.id,
                neighbourhood_id=neighbourhood_id,
                reply=reply,
            ),
        )
        return reply

    async def withdraw_answer(self, user: User, message_id: int) -> None:
        """Take the answer back, at any time (also after the call closed)."""
        call = await self._received(user, message_id)
        await self._db.write(
            "delete_volunteer_reply", store.delete_volunteer_reply, call.object_uri, user.id
        )

    # -- telling volunteers -------------------------------------------------------------------

    async def notify_volunteers(self) -> int:
        """Notify the volunteers of every neighbourhood not yet told of a live call; idempotent.
        Returns how many neighbourhoods were told."""
        pending = await self._db.read(
            "list_unnotified_call_targets", store.list_unnotified_call_targets
        )
        if not pending:
            return 0
        now = int(self._clock())

        def notify(conn) -> int:
            told = 0
            # Listed again inside the write: a concurrent pass may have told them already.
            for message_id, neighbourhood_id, document in store.list_unnotified_call_targets(conn):
                ends_at = unix_time_of(document.get("endTime"))
                volunteers = (
                    []
                    if ends_at is not None and ends_at <= now
                    else helpers_store.list_volunteer_ids_by_neighbourhood(conn, neighbourhood_id)
                )
                store.put_call_notifications(conn, message_id, neighbourhood_id, volunteers, now)
                told += 1
            return told

        return await self._db.write("notify_volunteers", notify)

    async def _notify_quietly(self) -> None:
        try:
            await self.notify_volunteers()
        except Exception:  # a background edge: the next city message or settle tries again
            log.exception("could not notify volunteers of a call")

    def _city_message_changed(self) -> None:
        if self._notifying is not None and not self._notifying.done():
            self._notify_again = True
            return
        self._notifying = asyncio.get_running_loop().create_task(self._notify_until_done())

    async def _notify_until_done(self) -> None:
        while True:
            self._notify_again = False
            await self._notify_quietly()
            if not self._notify_again:
                return
