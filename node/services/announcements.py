"""City announcements: to one, several or all neighbourhoods, local and on followed nodes.

Local neighbourhoods receive the announcement in the same transaction that records it;
remote ones through a signed `Create{Note}` addressed to their `Group` actors, queued for
delivery in that same transaction. Edits go out as `Update`, withdrawals as `Delete`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node.config import Config
from node.errors import N_, Forbidden, InvalidInput, NotFound
from node.federation.actors import AS_PUBLIC
from node.federation.outbox import iso_now
from node.federation.runtime import Federation
from node.models import User
from node.models.federation import Announcement, CityMessage
from node.services.rich_text import render_markdown
from node.storage import activities as activities_store
from node.storage import announcements as announcements_store
from node.storage import city_messages as city_messages_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import peers as peers_store
from node.storage.database import Database


@dataclass(frozen=True)
class AnnouncementDraft:
    title: str
    body: str
    urgent: bool = False
    pinned: bool = False
    expires_at: int | None = None
    # Local neighbourhood ids and remote neighbourhood actor URIs; all_neighbourhoods wins.
    local_neighbourhoods: tuple[int, ...] = ()
    remote_neighbourhoods: tuple[str, ...] = ()
    all_neighbourhoods: bool = False
    public: bool = True  # also visible to the city's followers on the fediverse


@dataclass(frozen=True)
class RemoteNeighbourhood:
    uri: str
    name: str
    host: str


class Announcements:
    def __init__(
        self,
        db: Database,
        config: Config,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._federation = federation
        self._clock = clock

    def _city(self):
        city = self._federation.actors.city()
        if city is None:
            raise Forbidden(N_("This node does not host a city (set city.enabled)."))
        return city

    def _check(self, draft: AnnouncementDraft) -> AnnouncementDraft:
        problems: dict[str, str] = {}
        title = " ".join(draft.title.split())
        if not 3 <= len(title) <= 200:
            problems["title"] = N_("Give the announcement a title of 3 to 200 characters.")
        if not draft.body.strip() or len(draft.body) > 10_000:
            problems["body"] = N_("Write the announcement (at most 10,000 characters).")
        if not (
            draft.all_neighbourhoods or draft.local_neighbourhoods or draft.remote_neighbourhoods
        ):
            problems["targets"] = N_("Choose at least one neighbourhood, or all of them.")
        if draft.expires_at is not None and draft.expires_at <= self._clock():
            problems["expires_at"] = N_("The expiry date must be in the future.")
        if problems:
            raise InvalidInput(problems)
        return AnnouncementDraft(**{**draft.__dict__, "title": title})

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        """Neighbourhoods of other nodes that follow the city (accepted): possible targets."""
        city = self._city()
        follows = await self._db.read(
            "list_city_followers", peers_store.list_follows, "inbound", "accepted", city.key
        )
        return [
            RemoteNeighbourhood(
                f.actor.uri, f.actor.name or f.actor.preferred_username, f.actor.host
            )
            for f in follows
            if f.actor is not None and f.actor.type == "Group"
        ]

    async def publish(self, author: User, draft: AnnouncementDraft) -> Announcement:
        city = self._city()
        draft = self._check(draft)
        now = self._clock()
        remote = {r.uri: r for r in await self.remote_neighbourhoods()}
        remote_targets = (
            list(remote)
            if draft.all_neighbourhoods
            else [uri for uri in draft.remote_neighbourhoods if uri in remote]
        )
        unknown = [uri for uri in draft.remote_neighbourhoods if uri not in remote]
        if unknown:
            raise InvalidInput(
                {"targets": (N_("%(target)s does not follow the city."), {"target": unknown[0]})}
            )
        followers = await self._db.read(
            "list_city_followers", peers_store.list_follows, "inbound", "accepted", city.key
        )
        object_uri = self._federation.outbox.new_object_uri()
        body_html = render_markdown(draft.body)
        to = list(remote_targets) + ([AS_PUBLIC] if draft.public else [])
        note = self._note(object_uri, draft, body_html, now, to, remote_targets)
        activity = (
            self._federation.outbox.prepare(
                city,
                "Create",
                note,
                now,
                source="announcement",
                to=to,
                cc=[city.followers],
                audience=remote_targets or None,
            )
            if (remote_targets or draft.public)
            else None
        )
        inboxes = {
            f.actor.delivery_inbox
            for f in followers
            if f.actor is not None
            and (f.actor.uri in remote_targets or (draft.public and f.actor.type != "Group"))
        }

        def store(conn) -> int:
            local_ids = (
                [n.id for n in neighbourhoods_store.list_neighbourhoods(conn)]
                if draft.all_neighbourhoods
                else list(draft.local_neighbourhoods)
            )
            for n_id in local_ids:
                if neighbourhoods_store.get_neighbourhood_by_id(conn, n_id) is None:
                    raise InvalidInput({"targets": N_("Choose neighbourhoods from the list.")})
            targets = [f"local:{n}" for n in local_ids] + remote_targets
            announcement_id = announcements_store.put_announcement(
                conn,
                object_uri=object_uri,
                title=draft.title,
                body=draft.body,
                body_html=body_html,
                urgent=draft.urgent,
                pinned=draft.pinned,
                expires_at=draft.expires_at,
                all_neighbourhoods=draft.all_neighbourhoods,
                targets=targets,
                created_by=author.id,
                now=int(now),
            )
            self._deliver_locally(conn, note, object_uri, draft, body_html, local_ids, now)
            activities_store.put_federated_object(
                conn,
                object_uri,
                "Note",
                "announcement",
                announcement_id,
                json.dumps(note, ensure_ascii=False),
                draft.public,
            )
            if activity is not None:
                self._federation.outbox.enqueue(conn, activity, inboxes, draft.public, now)
            return announcement_id

        announcement_id = await self._db.write("publish_announcement", store)
        self._federation.outbox.wake()
        return await self.get(announcement_id)

    def _note(
        self,
        object_uri: str,
        draft: AnnouncementDraft,
        body_html: str,
        now: float,
        to: list[str],
        audience: list[str],
    ) -> dict[str, Any]:
        city = self._city()
        note: dict[str, Any] = {
            "id": object_uri,
            "type": "Note",
            "attributedTo": city.uri,
            "name": draft.title,
            "content": body_html,
            "published": iso_now(now),
            "url": f"{self._config.base_url}/announcements/{object_uri.rsplit('/', 1)[1]}",
            "to": to,
            "cc": [city.followers],
            "quartier:urgent": draft.urgent,
            "quartier:pinned": draft.pinned,
        }
        if audience:
            note["audience"] = audience
        if draft.expires_at is not None:
            note["endTime"] = datetime.fromtimestamp(draft.expires_at, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        return note

    def _deliver_locally(
        self,
        conn,
        note: dict,
        object_uri: str,
        draft: AnnouncementDraft,
        body_html: str,
        local_ids: list[int],
        now: float,
    ) -> None:
        if not local_ids:
            return
        city = self._city()
        city_messages_store.put_city_message(
            conn,
            object_uri=object_uri,
            actor=city.uri,
            actor_name=city.name,
            kind="announcement",
            title=draft.title,
            content_html=body_html,
            urgent=draft.urgent,
            pinned=draft.pinned,
            expires_at=draft.expires_at,
            published_at=int(now),
            document=json.dumps(note, ensure_ascii=False),
            neighbourhood_ids=local_ids,
            now=int(now),
        )

    async def get(self, announcement_id: int) -> Announcement:
        found = await self._db.read(
            "get_announcement", announcements_store.get_announcement_by_id, announcement_id
        )
        if found is None:
            raise NotFound(N_("There is no such announcement."))
        return found

    async def for_resident(self, user: User) -> list[CityMessage]:
        """What the city says to the resident's neighbourhood: live messages, pinned first."""
        if user.neighbourhood_id is None:
            return []
        return await self._db.read(
            "list_city_messages",
            city_messages_store.list_city_messages_for_neighbourhood,
            user.neighbourhood_id,
            int(self._clock()),
        )

    async def public(self, uuid: str) -> Announcement:
        """A live announcement the city made public, for anyone (e.g. from Mastodon)."""
        uri = self._federation.actors.object_uri(uuid)

        def read(conn):
            published = activities_store.get_federated_object(conn, uri)
            if published is None or not published[2]:
                return None
            return announcements_store.get_announcement_by_object_uri(conn, uri)

        found = await self._db.read("public_announcement", read)
        if found is None or found.withdrawn_at is not None:
            raise NotFound(N_("There is no such announcement."))
        return found

    async def list(self) -> list[Announcement]:
        return await self._db.read("list_announcements", announcements_store.list_announcements)

    async def edit(
        self,
        author: User,
        announcement_id: int,
        title: str,
        body: str,
        urgent: bool,
        pinned: bool,
        expires_at: int | None,
    ) -> Announcement:
        """Change an announcement everywhere it went: locally at once, remotely by `Update`."""
        city = self._city()
        current = await self.get(announcement_id)
        if current.withdrawn_at is not None:
            raise InvalidInput({"title": N_("A withdrawn announcement cannot be edited.")})
        draft = self._check(
            AnnouncementDraft(
                title=title,
                body=body,
                urgent=urgent,
                pinned=pinned,
                expires_at=expires_at,
                all_neighbourhoods=True,  # targets are kept as they were; only checked non-empty
            )
        )
        now = self._clock()
        remote_targets = [t for t in current.targets if not t.startswith("local:")]
        local_ids = [int(t[6:]) for t in current.targets if t.startswith("local:")]
        body_html = render_markdown(draft.body)
        published = await self._db.read(
            "get_federated_object", activities_store.get_federated_object, current.object_uri
        )
        public = bool(published and published[2])
        to = remote_targets + ([AS_PUBLIC] if public else [])
        note = self._note(current.object_uri, draft, body_html, now, to, remote_targets)
        note["published"] = iso_now(current.created_at)
        note["updated"] = iso_now(now)
        update = (
            self._federation.outbox.prepare(
                city,
                "Update",
                note,
                now,
                source="announcement",
                to=to,
                cc=[city.followers],
                audience=remote_targets or None,
            )
            if (remote_targets or public)
            else None
        )
        followers = await self._db.read(
            "list_city_followers", peers_store.list_follows, "inbound", "accepted", city.key
        )
        inboxes = {
            f.actor.delivery_inbox
            for f in followers
            if f.actor is not None
            and (f.actor.uri in remote_targets or (public and f.actor.type != "Group"))
        }

        def store(conn) -> None:
            announcements_store.update_announcement(
                conn,
                announcement_id,
                title=draft.title,
                body=draft.body,
                body_html=body_html,
                urgent=draft.urgent,
                pinned=draft.pinned,
                expires_at=draft.expires_at,
                now=int(now),
            )
            self._deliver_locally(conn, note, current.object_uri, draft, body_html, local_ids, now)
            activities_store.put_federated_object(
                conn,
                current.object_uri,
                "Note",
                "announcement",
                announcement_id,
                json.dumps(note, ensure_ascii=False),
                public,
            )
            if update is not None:
                self._federation.outbox.enqueue(conn, update, inboxes, public, now)

        await self._db.write("edit_announcement", store)
        self._federation.outbox.wake()
        return await self.get(announcement_id)

    async def withdraw(self, author: User, announcement_id: int) -> None:
        """Take an announcement back everywhere: locally at once, remotely with a Delete."""
        city = self._city()
        announcement = await self.get(announcement_id)
        if announcement.withdrawn_at is not None:
            return
        now = self._clock()
        remote_targets = [t for t in announcement.targets if not t.startswith("local:")]
        followers = await self._db.read(
            "list_city_followers", peers_store.list_follows, "inbound", "accepted", city.key
        )
        public = True
        inboxes = {
            f.actor.delivery_inbox
            for f in followers
            if f.actor is not None and (f.actor.uri in remote_targets or f.actor.type != "Group")
        }
        tombstone = {"id": announcement.object_uri, "type": "Tombstone"}
        delete = self._federation.outbox.prepare(
            city,
            "Delete",
            tombstone,
            now,
            source="announcement",
            to=[*remote_targets, AS_PUBLIC],
            cc=[city.followers],
        )

        def store(conn) -> None:
            announcements_store.withdraw_announcement(conn, announcement_id, int(now))
            city_messages_store.withdraw_city_message(
                conn, announcement.object_uri, city.uri, int(now)
            )
            activities_store.mark_federated_object_deleted(conn, announcement.object_uri, int(now))
            self._federation.outbox.enqueue(conn, delete, inboxes, public, now)

        await self._db.write("withdraw_announcement", store)
        self._federation.outbox.wake()
