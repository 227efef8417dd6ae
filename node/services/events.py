"""Residents' events: RSVPs, the calendar page, and iCalendar feeds.

An event is a post of category `event` with a start, an optional end and a place. Who goes is
visible to neighbours only (the post page); the calendar feed holds no attendee. Calendar
apps cannot send cookies, so each resident may create a secret feed URL; only its SHA-256 is
stored, in its own table (not api_tokens: this secret opens one read-only feed, never the API).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from node.config import Config
from node.errors import N_, InvalidInput, NotFound
from node.models import User
from node.models.city import CityObject
from node.models.posts import Category, RsvpAnswer, RsvpSummary, UpcomingEvent
from node.services.city_events import EVENT_KIND, event_details
from node.services.post_visibility import neighbourhood_of
from node.storage import city_messages as city_messages_store
from node.storage import events as events_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import posts as posts_store
from node.storage.database import Database

UPCOMING_LIMIT = 200
CALENDAR_PAST_DAYS = 30
CALENDAR_LIMIT = 500
TOKEN_PREFIX = "cal_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ResidentEvents:
    def __init__(
        self, db: Database, config: Config, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._base_url = config.base_url
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    async def upcoming(self, viewer: User) -> list[UpcomingEvent]:
        """Events the viewer may see that have not ended, soonest first."""
        return await self._db.read(
            "list_upcoming_events",
            events_store.list_events_by_neighbourhood,
            neighbourhood_of(viewer),
            self._now(),
            UPCOMING_LIMIT,
        )

    async def toggle_rsvp(self, viewer: User, post_id: int, answer: str) -> RsvpSummary:
        """Say one is going (or maybe going) to an event; the same answer again takes it back."""
        neighbourhood_id = neighbourhood_of(viewer)
        now = self._now()

        def toggle(conn):
            post = posts_store.get_visible_post_by_id(conn, post_id, neighbourhood_id)
            if post is None:
                raise NotFound(N_("This post does not exist, or it was removed."))
            try:
                chosen = RsvpAnswer(answer)
            except ValueError:
                raise InvalidInput({"answer": N_("Answer going or maybe.")}) from None
            if post.category is not Category.EVENT:
                raise InvalidInput({"answer": N_("Only events take answers.")})
            events_store.toggle_rsvp(conn, post_id, viewer.id, chosen, now)
            return events_store.get_rsvp_summary_by_post(conn, post_id, viewer.id)

        return await self._db.write("toggle_rsvp", toggle)

    # -- iCalendar --------------------------------------------------------------------------

    async def calendar(self, viewer: User) -> bytes:
        """The viewer's neighbourhood events as an iCalendar file."""
        return await self._calendar_of(neighbourhood_of(viewer))

    async def calendar_for_token(self, token: str) -> bytes:
        """The calendar behind a secret feed URL; unknown or stale secrets find nothing."""
        user = None
        if token.startswith(TOKEN_PREFIX) and len(token) < 100:
            user = await self._db.read(
                "get_user_by_calendar_token",
                events_store.get_user_by_calendar_token,
                _token_hash(token),
            )
        if user is None or not user.is_active or not user.role.belongs_to_neighbourhood:
            raise NotFound(N_("This calendar link is not valid any more."))
        return await self.calendar(user)

    async def _calendar_of(self, neighbourhood_id: int) -> bytes:
        since = self._now() - CALENDAR_PAST_DAYS * 86_400

        def read(conn):
            neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(conn, neighbourhood_id)
            events = events_store.list_events_by_neighbourhood(
                conn, neighbourhood_id, since, CALENDAR_LIMIT
            )
            # The city's events sent to the neighbourhood: the events page lists them too.
            city_events = city_messages_store.list_upcoming_city_objects_for_neighbourhood(
                conn, neighbourhood_id, EVENT_KIND, since, CALENDAR_LIMIT
            )
            return neighbourhood.name, events, city_events

        name, events, city_events = await self._db.read("list_calendar_events", read)
        return self.ical(name, events, city_events)

    def ical(
        self, name: str, events: list[UpcomingEvent], city_events: Sequence[CityObject] = ()
    ) -> bytes:
        host = urlsplit(self._base_url).hostname or "quartier"
        from icalendar import Calendar, Event  # loaded when a calendar is asked for

        calendar = Calendar()
        calendar.add("prodid", "-//Quartier//Neighbourhood events//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", name)
        stamp = datetime.fromtimestamp(self._now(), UTC)

        def add(
            uid: str,
            starts_at: int,
            ends_at: int | None,
            title: str,
            location: str,
            text: str,
            url: str,
        ) -> None:
            event = Event()
            event.add("uid", f"{uid}@{host}")
            event.add("dtstamp", stamp)
            event.add("dtstart", datetime.fromtimestamp(starts_at, UTC))
            if ends_at is not None:
                event.add("dtend", datetime.fromtimestamp(ends_at, UTC))
            event.add("summary", title)
            if location:
                event.add("location", location)
            event.add("description", f"{text}\n\n{url}".strip())
            event.add("url", url)
            calendar.add_component(event)

        for item in events:
            url = f"{self._base_url}/posts/{item.post_id}"
            add(
                f"post-{item.post_id}",
                item.starts_at,
                item.ends_at,
                item.title,
                item.location,
                item.excerpt,
                url,
            )
        for obj in city_events:
            details = event_details(obj.document)
            if details.starts_at is None:
                continue
            add(
                f"city-event-{obj.message_id}",
                details.starts_at,
                details.ends_at,
                details.title,
                details.location,
                obj.actor_name,
                f"{self._base_url}/city-events/{obj.message_id}",
            )
        return calendar.to_ical()

    async def create_calendar_token(self, viewer: User) -> str:
        """A new secret feed URL token for the viewer; any earlier one stops working."""
        neighbourhood_of(viewer)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self._db.write(
            "put_calendar_token",
            events_store.put_calendar_token,
            viewer.id,
            _token_hash(token),
            self._now(),
        )
        return token

    async def revoke_calendar_token(self, viewer: User) -> None:
        neighbourhood_of(viewer)
        await self._db.write("delete_calendar_token", events_store.delete_calendar_token, viewer.id)

    async def calendar_token_created_at(self, viewer: User) -> int | None:
        neighbourhood_of(viewer)
        return await self._db.read(
            "get_calendar_token", events_store.get_calendar_token_created_at, viewer.id
        )

    def calendar_url(self, token: str) -> str:
        return f"{self._base_url}/calendar/{token}.ics"
