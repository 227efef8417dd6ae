"""Records of direct messages, the neighbour directory, helpers and notifications."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Correspondent:
    """The other person of a conversation, as the viewer may see them: a name, no address."""

    id: int
    display_name: str


@dataclass(frozen=True)
class Message:
    id: int
    sender_id: int | None
    recipient_id: int | None
    body: str
    created_at: int
    read_at: int | None


@dataclass(frozen=True)
class Conversation:
    """One line of the conversations list: the other person and the latest message."""

    other: Correspondent
    last_message: Message
    unread: int


@dataclass(frozen=True)
class Thread:
    """A conversation as one of its two parties sees it, oldest message first."""

    other: Correspondent
    messages: tuple[Message, ...]
    can_reply: bool  # False once the other person can no longer be written to


@dataclass(frozen=True)
class DirectorySettings:
    """A resident's own directory choices; `listed` False means no row (not in the directory)."""

    listed: bool
    bio: str
    show_bio: bool
    show_street: bool
    show_skills: bool


@dataclass(frozen=True)
class DirectoryListing:
    """What neighbours see of one listed resident: only the fields that resident chose."""

    user_id: int
    display_name: str
    bio: str | None
    street: str | None
    skills: tuple[str, ...]


@dataclass(frozen=True)
class HelperProfile:
    """A resident's own helper registration (`registered` False: not a helper)."""

    registered: bool
    skills: tuple[str, ...]
    note: str
    volunteer: bool


@dataclass(frozen=True)
class HelperListing:
    """A helper as neighbours see them on the helpers page."""

    user_id: int
    display_name: str
    skills: tuple[str, ...]
    note: str


class EmailMode(StrEnum):
    IMMEDIATE = "immediate"  # direct messages and replies at once, the rest in the digest
    DIGEST = "digest"
    NONE = "none"


@dataclass(frozen=True)
class Notification:
    """Something that happened for a user, with the names needed to say it in a sentence.

    `post_title` is None when the post is gone or hidden: a notification never reveals more
    than the post's page itself would.
    """

    id: int
    user_id: int
    kind: str
    actor_id: int | None
    actor_name: str | None
    post_id: int | None
    post_title: str | None
    message_id: int | None
    created_at: int
    read_at: int | None
    emailed_at: int | None
    # A call for volunteers (or other city content) it is about, and that content's title
    # while it is live.
    city_message_id: int | None = None
    city_title: str | None = None
    # A citizen initiative it is about (the city answered it), and its title unless withdrawn.
    initiative_id: int | None = None
    initiative_title: str | None = None


@dataclass(frozen=True)
class MailRecipient:
    """Who a notification e-mail goes to, and how they want their e-mail."""

    user_id: int
    email: str
    display_name: str
    locale: str | None
    email_mode: EmailMode
    active: bool
    last_digest_at: int | None


@dataclass(frozen=True)
class PendingEmail:
    """A notification not yet e-mailed, with its recipient."""

    notification: Notification
    recipient: MailRecipient
