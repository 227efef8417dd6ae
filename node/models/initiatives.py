"""Citizen initiatives: what residents propose and support, and what the city receives.

The neighbourhood's side knows who supports what (to count each resident once); the city's
side holds only the initiative's text and a number of supporters, never a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class InitiativeStatus(StrEnum):
    GATHERING = "gathering"  # collecting support in the neighbourhood
    SENT = "sent"  # passed the threshold, the city has it
    ANSWERED = "answered"  # the city answered
    WITHDRAWN = "withdrawn"  # the author took it back before it was sent


@dataclass(frozen=True)
class Initiative:
    """An initiative on its neighbourhood's node, as residents see it."""

    id: int
    object_uri: str
    neighbourhood_id: int
    author_id: int | None
    title: str
    body: str
    created_at: int
    sent_at: int | None
    answer_html: str | None
    answered_at: int | None
    withdrawn_at: int | None
    supporters: int

    @property
    def status(self) -> InitiativeStatus:
        if self.withdrawn_at is not None:
            return InitiativeStatus.WITHDRAWN
        if self.answered_at is not None:
            return InitiativeStatus.ANSWERED
        if self.sent_at is not None:
            return InitiativeStatus.SENT
        return InitiativeStatus.GATHERING

    @property
    def open_for_support(self) -> bool:
        """Support may change until the city answers (after sending, the city sees the count)."""
        return self.status in (InitiativeStatus.GATHERING, InitiativeStatus.SENT)


@dataclass(frozen=True)
class InitiativeView:
    """One initiative as one resident sees it."""

    initiative: Initiative
    body_html: str  # the text, rendered as it went (or will go) to the city
    supported: bool  # by this resident
    is_author: bool
    threshold: int


@dataclass(frozen=True)
class CityInitiative:
    """An initiative as the city holds it: text and a count, no supporter and no author."""

    id: int
    object_uri: str
    neighbourhood_uri: str
    neighbourhood_name: str
    title: str
    body_html: str
    supporters: int
    received_at: int
    updated_at: int
    answer_html: str | None
    answered_at: int | None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
