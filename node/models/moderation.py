"""Records of moderation: reports, the queue, members, house rules, the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from node.models import Role, UserStatus


class ReportReason(StrEnum):
    SPAM = "spam"  # spam or advertising
    INSULTING = "insulting"  # insulting or hateful
    OFF_TOPIC = "off_topic"  # not about the neighbourhood
    PERSONAL_DATA = "personal_data"
    OTHER = "other"


class ItemKind(StrEnum):
    POST = "post"
    COMMENT = "comment"


class ModerationAction(StrEnum):
    """What a moderator does to a reported item; each resolves its open reports."""

    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"


class MemberAction(StrEnum):
    WARN = "warn"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"


@dataclass(frozen=True)
class Report:
    id: int
    neighbourhood_id: int
    kind: ItemKind
    post_id: int | None
    comment_id: int | None
    reason: ReportReason
    details: str
    created_at: int
    resolved_at: int | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class ReportedReason:
    reason: ReportReason
    details: str
    created_at: int


@dataclass(frozen=True)
class ReportedItem:
    """One post or comment in the queue, with every open report about it."""

    kind: ItemKind
    id: int  # the post's or the comment's id
    post_id: int  # the post itself, or the post a comment belongs to
    neighbourhood_id: int
    neighbourhood_name: str
    author_id: int | None
    author_name: str | None  # None: the author deleted their account
    title: str  # the post's title (a comment's post title)
    body: str
    status: str  # visible, hidden
    created_at: int
    reasons: tuple[ReportedReason, ...]

    @property
    def report_count(self) -> int:
        return len(self.reasons)


@dataclass(frozen=True)
class ItemTarget:
    """A post or comment a moderator acts on: enough to check scope and log the action."""

    kind: ItemKind
    id: int
    post_id: int
    neighbourhood_id: int
    author_id: int | None
    status: str


@dataclass(frozen=True)
class Member:
    id: int
    display_name: str
    role: Role
    status: UserStatus
    neighbourhood_id: int
    neighbourhood_name: str
    created_at: int


@dataclass(frozen=True)
class LogEntry:
    id: int
    neighbourhood_id: int
    neighbourhood_name: str
    moderator_name: str | None  # None: the moderator's account is gone
    action: str
    target_user_id: int | None
    target_user_name: str | None
    post_id: int | None
    comment_id: int | None
    note: str
    created_at: int


@dataclass(frozen=True)
class HouseRules:
    """A neighbourhood's rules. Empty `body`: none written yet; pages show the default text."""

    neighbourhood_id: int
    neighbourhood_name: str
    body: str
    body_html: str
    updated_at: int | None
    updated_by_name: str | None

    @property
    def is_default(self) -> bool:
        return not self.body.strip()


@dataclass(frozen=True)
class Notice:
    """A moderation action concerning a member, as the member sees it (no moderator named)."""

    action: str
    note: str
    created_at: int
