"""City events and workshops: what the city organises, what residents answer on their home
node, and the counts that come back (never names). Also views of city messages, counted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RsvpAnswer(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NONE = "none"  # not going: the RSVP is deleted, nothing is kept


@dataclass(frozen=True)
class CityEvent:
    """An event as the city node keeps it (the city's side)."""

    id: int
    object_uri: str
    title: str
    description: str
    location: str
    starts_at: int
    ends_at: int | None
    workshop: bool
    created_at: int
    updated_at: int | None
    withdrawn_at: int | None

    @property
    def uuid(self) -> str:
        return self.object_uri.rsplit("/", 1)[1]


@dataclass(frozen=True)
class NeighbourhoodAttendance:
    """What one neighbourhood reported: counts only."""

    neighbourhood_name: str
    host: str
    going: int
    maybe: int
    final: bool
    received_at: int


@dataclass(frozen=True)
class Attendance:
    rows: tuple[NeighbourhoodAttendance, ...]
    going: int
    maybe: int
    targets: int  # neighbourhoods the event went to (some may not have reported yet)

    @classmethod
    def of(cls, rows: list[NeighbourhoodAttendance], targets: int) -> Attendance:
        return cls(
            tuple(rows),
            sum(r.going for r in rows),
            sum(r.maybe for r in rows),
            targets,
        )


@dataclass(frozen=True)
class CityEventDetail:
    event: CityEvent
    attendance: Attendance
    targets: tuple[str, ...]
    public: bool


@dataclass(frozen=True)
class RsvpCounts:
    going: int = 0
    maybe: int = 0


@dataclass(frozen=True)
class ResidentEvent:
    """A city event as a resident sees it on their home node, wherever the city is."""

    message_id: int
    object_uri: str
    city_name: str
    title: str
    content_html: str
    location: str
    starts_at: int | None
    ends_at: int | None
    workshop: bool
    url: str | None
    withdrawn: bool
    over: bool
    my_answer: RsvpAnswer
    neighbourhood: RsvpCounts  # answers in the resident's own neighbourhood


@dataclass(frozen=True)
class NeighbourhoodViews:
    neighbourhood_name: str
    host: str
    views: int


@dataclass(frozen=True)
class AnnouncementViews:
    """Views of one announcement, as each neighbourhood reported them."""

    rows: tuple[NeighbourhoodViews, ...]
    total: int
