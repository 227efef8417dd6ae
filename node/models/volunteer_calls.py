"""Calls for volunteers: the city's side (calls, answers counted per neighbourhood, contacts
volunteers chose to share) and the resident's side (the call as received, their own answer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VolunteerCall:
    """A call the city published (the city node's side)."""

    id: int
    object_uri: str
    title: str
    description: str
    needed: int | None
    ends_at: int | None
    created_at: int
    withdrawn_at: int | None
    targets: tuple[str, ...] = ()  # "local:<id>" or remote neighbourhood actor URIs


@dataclass(frozen=True)
class SharedContact:
    """What one volunteer chose to give the city: exactly what they typed, nothing else."""

    name: str
    contact: str
    message: str


@dataclass(frozen=True)
class NeighbourhoodReplies:
    """One neighbourhood's latest report about a call; `answers` None: no report yet."""

    name: str
    host: str
    answers: int | None
    contacts: tuple[SharedContact, ...] = ()
    received_at: int | None = None


@dataclass(frozen=True)
class VolunteerCallResults:
    call: VolunteerCall
    neighbourhoods: tuple[NeighbourhoodReplies, ...]

    @property
    def answers(self) -> int:
        return sum(n.answers or 0 for n in self.neighbourhoods)

    @property
    def contacts(self) -> int:
        return sum(len(n.contacts) for n in self.neighbourhoods)


@dataclass(frozen=True)
class VolunteerCallSummary:
    """A line of the staff list: the call and its answers so far, all neighbourhoods."""

    call: VolunteerCall
    answers: int


@dataclass(frozen=True)
class VolunteerReply:
    """A resident's answer, kept on their home node. Only when `share_contact` is set do
    `contact_name`, `contact_details` and `message` travel to the city."""

    share_contact: bool
    contact_name: str
    contact_details: str
    message: str
    answered_at: int


@dataclass(frozen=True)
class ReceivedCall:
    """A call as a resident's node received it (local or from a remote city)."""

    message_id: int
    object_uri: str
    city_name: str
    title: str
    content_html: str
    needed: int | None
    ends_at: int | None
    published_at: int
    withdrawn: bool

    def open_at(self, now: float) -> bool:
        return not self.withdrawn and (self.ends_at is None or now < self.ends_at)


@dataclass(frozen=True)
class ResidentCallView:
    call: ReceivedCall
    reply: VolunteerReply | None
    is_open: bool
