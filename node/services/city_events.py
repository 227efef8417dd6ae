"""City events and co-construction workshops, RSVPs, and views of city messages.

The city publishes an ActivityStreams `Event` (FEP-8a8e fields) through `CityBroadcast`, so
local and remote neighbourhoods receive the same document in `city_messages`. Residents answer
(going / maybe / not going) on their home node; the answers stay there. Two report sources
send counts back per neighbourhood: `event_attendance` ({"going", "maybe"}, final once the
event is over) and `announcement_views` ({"views"}: residents who opened an announcement,
deduplicated by a keyed hash that names nobody). The city reads sums, never names.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.config import Config
from node.errors import N_, InvalidInput, NotFound
from node.federation.keys import load_keys
from node.federation.outbox import iso_now
from node.federation.processing import sanitise_city_html
from node.federation.runtime import Federation
from node.models import User
from node.models.city import CityObject, Figures, ReportState, ReportSubject
from node.models.city_events import (
    AnnouncementViews,
    Attendance,
    CityEvent,
    CityEventDetail,
    NeighbourhoodAttendance,
    NeighbourhoodViews,
    ResidentEvent,
    RsvpAnswer,
)
from node.services.city_broadcast import CityBroadcast, RemoteNeighbourhood, ResidentView, Targets
from node.services.reporting import CityObjectSubjects, Reporting
from node.services.rich_text import render_markdown
from node.storage import activities as activities_store
from node.storage import city_events as store
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage.database import Database

EVENT_KIND = "event"  # city_messages.kind of a received Event
ANNOUNCEMENT_KIND = "announcement"
ATTENDANCE = "event_attendance"
VIEWS = "announcement_views"
# Read counts of an announcement are reported until it expires, or for this long after it was
# published if it never does; then a final count goes. Late readers are few by then, and a
# city that has published for years does not have every pass count them all again.
VIEWS_REPORTED_FOR = 90 * 24 * 3600
UPCOMING_CITY_EVENTS = 50  # on the neighbourhood's events page
MAX_COUNT = 10_000_000  # far above any neighbourhood: a larger reported figure is nonsense


@dataclass(frozen=True)
class EventDraft:
    """What staff typed. Dates are ISO 8601 text (a form's datetime-local; naive means the
    node's time zone) or Unix time from the API."""

    title: str
    description: str = ""
    location: str = ""
    starts_at: str | int | None = None
    ends_at: str | int | None = None
    workshop: bool = False
    targets: Targets = field(default_factory=Targets)
    public: bool = True


def _timestamp(value: Any) -> int | None:
    """An ISO 8601 date-time from a city's document as Unix time; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _event_end(document: dict[str, Any]) -> int | None:
    """When an event is over: its end, or its start when it gave no end."""
    return _timestamp(document.get("endTime")) or _timestamp(document.get("startTime"))


class EventDetails(NamedTuple):
    """What a city's `Event` document says, read defensively (it may come from any server)."""

    title: str
    location: str
    starts_at: int | None
    ends_at: int | None


def event_details(document: dict[str, Any]) -> EventDetails:
    location = document.get("location")
    if isinstance(location, dict):
        location = location.get("name")
    return EventDetails(
        title=str(document.get("name") or "")[:500],
        location=str(location or "")[:500],
        starts_at=_timestamp(document.get("startTime")),
        ends_at=_timestamp(document.get("endTime")),
    )


def _count(value: Any) -> int:
    """A count from a report. Remote figures are untrusted: anything odd counts as nothing."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return 0
    return value


class EventAttendanceSource(CityObjectSubjects):
    """Per neighbourhood: how many residents are going, and how many maybe."""

    kind = ATTENDANCE
    object_kind = EVENT_KIND

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None:
        obj = city_messages_store.get_city_object_by_uri(conn, subject.subject_uri)
        end = _event_end(obj.document) if obj is not None else None
        final = end is not None and end < now
        counts = store.count_rsvps(conn, subject.subject_uri, subject.neighbourhood_id)
        if not final and not (counts.going or counts.maybe) and previous is None:
            return None  # nothing to say yet: no report until someone answers, or at the end
        return Figures({"going": counts.going, "maybe": counts.maybe}, final)


class AnnouncementViewsSource(CityObjectSubjects):
    """Per neighbourhood: how many residents opened an announcement."""

    kind = VIEWS
    object_kind = ANNOUNCEMENT_KIND

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None:
        found = city_messages_store.get_city_object_times(conn, subject.subject_uri)
        if found is None:
            return None
        message_id, end_time, published_at = found
        expiry = _timestamp(end_time)
        final = (expiry is not None and expiry < now) or now - published_at > VIEWS_REPORTED_FOR
        views = store.count_city_message_views(conn, message_id, subject.neighbourhood_id)
        if not final and not views and previous is None:
            return None
        return Figures({"views": views}, final)


class CityEvents:
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
        self._tz = ZoneInfo(config.node.timezone)
        self._view_secret: bytes | None = None
        reporting.register(EventAttendanceSource())
        reporting.register(AnnouncementViewsSource())

    # -- the city's side ----------------------------------------------------------------------

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        return await self._broadcast.remote_neighbourhoods()

    def _moment(self, value: str | int | None) -> int | None:
        """Unix time of a typed date-time; raises ValueError when it is not one."""
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        moment = datetime.fromisoformat(str(value).strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self._tz)
        return int(moment.timestamp())

    def _check(self, draft: EventDraft) -> tuple[str, str, str, int, int | None]:
        """(title, description, location, start, end), or every problem at once."""
        problems: dict[str, str] = {}
        title = " ".join(draft.title.split())
        location = " ".join(draft.location.split())
        description = draft.description.strip()
        if not 3 <= len(title) <= 200:
            problems["title"] = N_("Give the event a title of 3 to 200 characters.")
        if len(description) > 10_000:
            problems["description"] = N_("The description can be at most 10,000 characters.")
        if not 1 <= len(location) <= 200:
            problems["location"] = N_(
                "Say where it takes place (an address, a room, or “online”), "
                "in at most 200 characters."
            )
        start = end = None
        try:
            start = self._moment(draft.starts_at)
        except (ValueError, OverflowError):
            problems["starts_at"] = N_("Give the start as a date and a time.")
        else:
            if start is None:
                problems["starts_at"] = N_("Say when the event starts.")
            elif start <= self._clock():
                problems["starts_at"] = N_("The start must be in the future.")
        try:
            end = self._moment(draft.ends_at)
        except (ValueError, OverflowError):
            problems["ends_at"] = N_("Give the end as a date and a time, or leave it empty.")
        else:
            if end is not None and start is not None and end <= start:
                problems["ends_at"] = N_("The end must come after the start.")
        if draft.targets.empty:
            problems["targets"] = N_("Choose at least one neighbourhood, or all of them.")
        if problems:
            raise InvalidInput(problems)
        assert start is not None
        return title, description, location, start, end

    async def create(self, author: User, draft: EventDraft) -> CityEvent:
        """Publish an event to the chosen neighbourhoods (and the fediverse when public)."""
        title, description, location, start, end = self._check(draft)
        object_uri = self._broadcast.new_object_uri()
        uuid = self._broadcast.uuid_of(object_uri)
        content_html = render_markdown(description) if description else ""
        event: dict[str, Any] = {
            "id": object_uri,
            "type": "Event",
            "name": title,
            "content": content_html,
            "startTime": iso_now(start),
            "location": {"type": "Place", "name": location},
            "timezone": self._config.node.timezone,
            "quartier:workshop": draft.workshop,
            "url": f"{self._broadcast.base_url}/public/events/{uuid}",
        }
        if end is not None:
            event["endTime"] = iso_now(end)
        now = int(self._clock())

        def store_event(conn) -> int:
            return store.put_city_event(
                conn,
                object_uri=object_uri,
                title=title,
                description=description,
                location=location,
                starts_at=start,
                ends_at=end,
                workshop=draft.workshop,
                created_by=author.id,
                now=now,
            )

        event_id = await self._broadcast.publish(
            source="event",
            kind=EVENT_KIND,
            obj=event,
            targets=draft.targets,
            # Like a received Event (processing), it leaves the city panel once over.
            view=ResidentView(
                title=title,
                content_html=content_html,
                expires_at=end if end is not None else start,
            ),
            public=draft.public,
            store=store_event,
        )
        return await self.get(event_id)

    async def get(self, event_id: int) -> CityEvent:
        found = await self._db.read("get_city_event", store.get_city_event_by_id, event_id)
        if found is None:
            raise NotFound(N_("There is no such event."))
        return found

    def _attendance(self, conn, object_uri: str) -> Attendance:
        rows = [
            NeighbourhoodAttendance(
                neighbourhood_name=r.neighbourhood_name,
                host=r.host,
                going=_count(r.figures.get("going")),
                maybe=_count(r.figures.get("maybe")),
                final=r.final,
                received_at=r.received_at,
            )
            for r in city_reports_store.list_city_reports(conn, object_uri, ATTENDANCE)
        ]
        targets = city_reports_store.list_city_object_targets(conn, object_uri)
        return Attendance.of(rows, len(targets))

    async def list_events(self) -> list[tuple[CityEvent, Attendance]]:
        """Every event with its attendance totals, newest start first."""

        def read(conn):
            return [(e, self._attendance(conn, e.object_uri)) for e in store.list_city_events(conn)]

        return await self._db.read("list_city_events", read)

    async def detail(self, event_id: int) -> CityEventDetail:
        """An event with its totals and per-neighbourhood figures: counts, never names."""

        def read(conn):
            event = store.get_city_event_by_id(conn, event_id)
            if event is None:
                return None
            return CityEventDetail(
                event=event,
                attendance=self._attendance(conn, event.object_uri),
                targets=tuple(city_reports_store.list_city_object_targets(conn, event.object_uri)),
                public=activities_store.is_published_publicly(conn, event.object_uri),
            )

        found = await self._db.read("city_event_detail", read)
        if found is None:
            raise NotFound(N_("There is no such event."))
        return found

    async def withdraw(self, author: User, event_id: int) -> None:
        """Take the event back everywhere: locally at once, remotely with a `Delete`."""
        event = await self.get(event_id)
        if event.withdrawn_at is not None:
            return
        now = int(self._clock())
        await self._broadcast.withdraw(
            source="event",
            object_uri=event.object_uri,
            store=lambda conn: store.withdraw_city_event(conn, event_id, now),
        )

    async def public_event(self, uuid: str) -> CityEvent:
        """A live event the city made public, for anyone (e.g. from Mastodon)."""
        uri = self._federation.actors.object_uri(uuid)

        def read(conn):
            if not activities_store.is_published_publicly(conn, uri):
                return None
            return store.get_city_event_by_object_uri(conn, uri)

        found = await self._db.read("public_city_event", read)
        if found is None or found.withdrawn_at is not None:
            raise NotFound(N_("There is no such event."))
        return found

    async def announcement_views(self, object_uri: str) -> AnnouncementViews:
        """How many residents opened an announcement, per neighbourhood and in total."""
        reports = await self._db.read(
            "announcement_views", city_reports_store.list_city_reports, object_uri, VIEWS
        )
        rows = tuple(
            NeighbourhoodViews(r.neighbourhood_name, r.host, _count(r.figures.get("views")))
            for r in reports
        )
        return AnnouncementViews(rows, sum(r.views for r in rows))

    # -- the residents' side (their home node, whichever node the city is on) ----------------

    def _resident_event(self, conn, user: User, obj: CityObject) -> ResidentEvent:
        doc = obj.document
        details = event_details(doc)
        url = doc.get("url")
        end = _event_end(doc)
        return ResidentEvent(
            message_id=obj.message_id,
            object_uri=obj.object_uri,
            city_name=obj.actor_name,
            title=details.title,
            content_html=sanitise_city_html(doc.get("content")),
            location=details.location,
            starts_at=details.starts_at,
            ends_at=details.ends_at,
            workshop=doc.get("quartier:workshop") is True,
            url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
            withdrawn=obj.withdrawn_at is not None,
            over=end is not None and end < self._clock(),
            my_answer=store.get_rsvp(conn, obj.object_uri, user.id),
            neighbourhood=store.count_rsvps(conn, obj.object_uri, user.neighbourhood_id or 0),
        )

    def _visible(self, conn, user: User, message_id: int) -> CityObject:
        obj = None
        if user.neighbourhood_id is not None:
            obj = city_messages_store.get_city_object_for_neighbourhood(
                conn, message_id, user.neighbourhood_id, EVENT_KIND
            )
        if obj is None:
            raise NotFound(N_("There is no such event."))
        return obj

    async def for_resident(self, user: User, message_id: int) -> ResidentEvent:
        """A city event sent to the resident's neighbourhood, with their own answer."""

        def read(conn):
            return self._resident_event(conn, user, self._visible(conn, user, message_id))

        return await self._db.read("resident_city_event", read)

    async def upcoming_for_resident(self, user: User) -> list[ResidentEvent]:
        """The city's events sent to the resident's neighbourhood that are not over, by start:
        the neighbourhood's events page lists them beside the residents' own."""
        if user.neighbourhood_id is None:
            return []
        now = int(self._clock())

        def read(conn) -> list[ResidentEvent]:
            found = city_messages_store.list_upcoming_city_objects_for_neighbourhood(
                conn, user.neighbourhood_id, EVENT_KIND, now, UPCOMING_CITY_EVENTS
            )
            return [self._resident_event(conn, user, obj) for obj in found]

        events = await self._db.read("upcoming_city_events", read)
        return sorted(
            (e for e in events if e.starts_at is not None), key=lambda e: (e.starts_at, e.title)
        )

    async def rsvp(self, user: User, message_id: int, answer: str) -> ResidentEvent:
        """Going, maybe, or not going (forgets the answer). Kept on this node only."""
        try:
            chosen = RsvpAnswer(answer)
        except ValueError:
            raise InvalidInput({"answer": N_("Choose going, maybe or not going.")}) from None
        now = int(self._clock())

        def write(conn) -> ResidentEvent:
            obj = self._visible(conn, user, message_id)
            if obj.withdrawn_at is not None:
                raise InvalidInput({"answer": N_("The city withdrew this event.")})
            end = _event_end(obj.document)
            if end is not None and end < now:
                raise InvalidInput({"answer": N_("This event is over.")})
            assert user.neighbourhood_id is not None
            store.put_rsvp(conn, obj.object_uri, user.id, user.neighbourhood_id, chosen, now)
            return self._resident_event(conn, user, obj)

        # The count goes out with the next reporting pass, at most once per interval:
        # waking reporting at each answer would time-stamp answers for the city.
        return await self._db.write("put_city_event_rsvp", write)

    # -- views of city messages ---------------------------------------------------------------

    def _viewer_key(self, message_id: int, user_id: int) -> str:
        """HMAC-SHA256(node secret, "city-message:message:user"), as post views do: dedupes
        views, names nobody. The secret is derived (HKDF) from the node's Ed25519 key with its
        own label, so these keys cannot be matched against post view keys."""
        if self._view_secret is None:
            raw = load_keys(self._config.keys_dir).ed25519.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            self._view_secret = HKDF(
                algorithm=hashes.SHA256(),
                length=32,
                salt=None,
                info=b"quartier city message view keys v1",
            ).derive(raw)
        message = f"city-message:{message_id}:{user_id}".encode()
        return hmac.new(self._view_secret, message, hashlib.sha256).hexdigest()[:32]

    async def record_view(self, user: User, message_id: int) -> bool:
        """Count a resident's first view of a city message sent to their neighbourhood.
        True when it was their first; staff, admins and repeat views count nothing."""
        if user.neighbourhood_id is None:
            return False
        return await self._db.write(
            "put_city_message_view",
            store.put_city_message_view,
            message_id,
            user.neighbourhood_id,
            self._viewer_key(message_id, user.id),
        )
