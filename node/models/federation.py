"""Records of federation: other servers' actors, peers, follows, queues, city content."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    host: str
    type: str
    preferred_username: str
    name: str
    inbox: str
    shared_inbox: str | None
    document: str
    fetched_at: int

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver: the shared inbox when the server has one (one request per server)."""
        return self.shared_inbox or self.inbox

    @property
    def handle(self) -> str:
        return f"{self.preferred_username}@{self.host}" if self.preferred_username else self.uri


@dataclass(frozen=True)
class PeerHost:
    host: str
    policy: str  # none, allow, block
    signature_scheme: str | None
    note: str
    updated_at: int


@dataclass(frozen=True)
class Follow:
    id: int
    direction: str  # inbound: they follow us; outbound: we follow them
    local_actor: str
    remote_actor: str
    follow_activity: str
    state: str  # pending, accepted, rejected
    created_at: int
    decided_at: int | None


@dataclass(frozen=True)
class FollowWithActor:
    follow: Follow
    actor: RemoteActor | None


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: int
    activity_uri: str
    activity_type: str
    inbox: str
    host: str
    state: str
    attempts: int
    next_attempt_at: int
    last_status: int | None
    last_error: str | None
    created_at: int
    finished_at: int | None


@dataclass(frozen=True)
class DueDelivery:
    """A delivery to attempt now, with the exact bytes to send."""

    id: int
    inbox: str
    host: str
    attempts: int
    created_at: int
    activity_uri: str
    actor: str
    body: bytes


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    actor: str
    type: str
    document: str
    received_at: int


@dataclass(frozen=True)
class CityMessage:
    id: int
    object_uri: str
    actor: str
    actor_name: str
    kind: str
    title: str
    content_html: str
    urgent: bool
    pinned: bool
    expires_at: int | None
    published_at: int
    updated_at: int | None


@dataclass(frozen=True)
class Announcement:
    id: int
    object_uri: str
    title: str
    body: str
    body_html: str
    urgent: bool
    pinned: bool
    expires_at: int | None
    all_neighbourhoods: bool
    targets: tuple[str, ...]
    created_at: int
    updated_at: int | None
    withdrawn_at: int | None
