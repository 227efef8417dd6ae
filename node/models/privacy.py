"""Records of a resident's privacy rights: their data export and what deleting them removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ContentChoice(StrEnum):
    """What happens to posts and comments when their author deletes the account."""

    ANONYMISE = "anonymise"  # kept, shown as written by a former neighbour
    REMOVE = "remove"  # emptied and marked deleted


# Each section of an export is a list of JSON-ready records: the export is a document meant
# to be handed over as it is, so its sections stay plain mappings rather than one class each.
Section = list[dict[str, Any]]


@dataclass(frozen=True)
class DataExport:
    """Everything the node holds about one person (GDPR art. 15 and 20)."""

    account: dict[str, Any]
    household: dict[str, Any] | None
    neighbourhood: dict[str, Any] | None
    posts: Section = field(default_factory=list)
    comments: Section = field(default_factory=list)
    reactions: Section = field(default_factory=list)
    rsvps: Section = field(default_factory=list)
    messages_sent: Section = field(default_factory=list)
    messages_received: Section = field(default_factory=list)
    directory_entry: dict[str, Any] | None = None
    helper: dict[str, Any] | None = None
    notification_settings: dict[str, Any] | None = None
    notifications: Section = field(default_factory=list)
    reports_made: Section = field(default_factory=list)
    moderation_concerning_me: Section = field(default_factory=list)
    join_request: dict[str, Any] | None = None
    api_tokens: Section = field(default_factory=list)


@dataclass(frozen=True)
class DeletedAccount:
    """What an account deletion left to do once committed: files to remove, feeds to refresh."""

    neighbourhood_id: int | None
    photo_files: tuple[str, ...]
