"""What the city dashboard works with: aggregate reports from neighbourhoods, never people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CityReport:
    """The latest aggregate one neighbourhood reported about one city object (or, for
    statistics, about the city itself). `figures` is the report's payload as sent."""

    subject_uri: str
    kind: str
    neighbourhood_uri: str
    neighbourhood_name: str
    host: str
    sequence: int
    final: bool
    figures: dict[str, Any]
    received_at: int


@dataclass(frozen=True)
class ReportSubject:
    """Something a neighbourhood of this node reports on: a city object it received (a
    survey, an event, ...) or the city actor itself (statistics)."""

    subject_uri: str
    city_actor: str
    neighbourhood_id: int


@dataclass(frozen=True)
class Figures:
    """One report's payload. A final report is sent once and never changes again."""

    data: dict[str, Any]
    final: bool = False


@dataclass(frozen=True)
class ReportState:
    report_uri: str
    sequence: int
    figures_hash: str
    final: bool
    sent_at: int


@dataclass(frozen=True)
class CityObject:
    """A city object as a neighbourhood received it: the signed document's object, and the
    local city message that shows it to residents."""

    message_id: int
    object_uri: str
    actor: str
    actor_name: str
    kind: str
    document: dict[str, Any]
    published_at: int
    withdrawn_at: int | None
