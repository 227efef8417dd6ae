"""City announcements: to one, several or all neighbourhoods, local and on followed nodes.

Local neighbourhoods receive the announcement in the same transaction that records it;
remote ones through a signed `Create{Note}` addressed to their `Group` actors, queued for
delivery in that same transaction. Edits go out as `Update`, withdrawals as `Delete`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node.config import Config
from node.errors import N_, InvalidInput, NotFound
from node.federation.outbox import iso_now
from node.federation.runtime import Federation
from node.models import User
from node.models.federation import Announcement, CityMessage
from node.services.city_broadcast import CityBroadcast, RemoteNeighbourhood, ResidentView, Targets
from node.services.rich_text import render_markdown
from node.storage import activities as activities_store
from node.storage import announcements as announcements_store
from node.storage import city_messages as city_messages_store
from node.storage.database import Database
from node.storage.read_cache import ReadCache, until_any_write


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


class Announcements:
    def __init__(
        self,
        db: Database,
        config: Config,
        federation: Federation,
        broadcast: CityBroadcast,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._federation = federation
        self._broadcast = broadcast
        self._clock = clock
        # What the city says to each neighbourhood: on every first page of its feed.
        self._live: ReadCache[int, list[CityMessage]] = until_any_write(db)

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
        return await self._broadcast.remote_neighbourhoods()

    async def publish(self, author: User, draft: AnnouncementDraft) -> Announcement:
        draft = self._check(draft)
        now = self._clock()
        object_uri = self._broadcast.new_object_uri()
        body_html = render_markdown(draft.body)
        note = self._note(object_uri, draft, body_html)
        targets = Targets(
            local=draft.local_neighbourhoods,
            remote=draft.remote_neighbourhoods,
            everywhere=draft.all_neighbourhoods,
        )

        def store(conn) -> int:
            return announcements_store.put_announcement(
                conn,
                object_uri=object_uri,
                title=draft.title,
                body=draft.body,
                body_html=body_html,
                urgent=draft.urgent,
                pinned=draft.pinned,
                expires_at=draft.expires_at,
                all_neighbourhoods=draft.all_neighbourhoods,
                created_by=author.id,
                now=int(now),
            )

        announcement_id = await self._broadcast.publish(
            source="announcement",
            kind="announcement",
            obj=note,
            targets=targets,
            view=self._view(draft, body_html),
            public=draft.public,
            store=store,
        )
        return await self.get(announcement_id)

    @staticmethod
    def _view(draft: AnnouncementDraft, body_html: str) -> ResidentView:
        return ResidentView(
            title=draft.title,
            content_html=body_html,
            urgent=draft.urgent,
            pinned=draft.pinned,
            expires_at=draft.expires_at,
        )

    def _note(self, object_uri: str, draft: AnnouncementDraft, body_html: str) -> dict[str, Any]:
        """The Note without its addressing (the broadcast adds `to`, `cc` and `audience`)."""
        note: dict[str, Any] = {
            "id": object_uri,
            "type": "Note",
            "name": draft.title,
            "content": body_html,
            "url": f"{self._config.base_url}/announcements/{object_uri.rsplit('/', 1)[1]}",
            "quartier:urgent": draft.urgent,
            "quartier:pinned": draft.pinned,
        }
        if draft.expires_at is not None:
            note["endTime"] = datetime.fromtimestamp(draft.expires_at, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        return note

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
        now = int(self._clock())
        live = self._live.get(user.neighbourhood_id)
        # A kept list is stale once one of its messages expires.
        if live is None or any(m.expires_at is not None and m.expires_at <= now for m in live):
            version = self._live.version()
            live = await self._db.read(
                "list_city_messages",
                city_messages_store.list_city_messages_for_neighbourhood,
                user.neighbourhood_id,
                now,
            )
            self._live.put(user.neighbourhood_id, live, version)
        return list(live)

    async def message_for_resident(self, user: User, message_id: int) -> CityMessage:
        """One live city message of the resident's neighbourhood (404 for anyone else)."""
        found = None
        if user.neighbourhood_id is not None:
            found = await self._db.read(
                "city_message",
                city_messages_store.get_city_message_for_neighbourhood,
                message_id,
                user.neighbourhood_id,
            )
        if found is None:
            raise NotFound(N_("There is no such message from the city."))
        return found

    async def public(self, uuid: str) -> Announcement:
        """A live announcement the city made public, for anyone (e.g. from Mastodon)."""
        uri = self._federation.actors.object_uri(uuid)

        def read(conn):
            if not activities_store.is_published_publicly(conn, uri):
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
        body_html = render_markdown(draft.body)
        note = self._note(current.object_uri, draft, body_html)
        note["published"] = iso_now(current.created_at)
        await self._broadcast.update(
            source="announcement",
            kind="announcement",
            obj=note,
            view=self._view(draft, body_html),
            store=lambda conn: announcements_store.update_announcement(
                conn,
                announcement_id,
                title=draft.title,
                body=draft.body,
                body_html=body_html,
                urgent=draft.urgent,
                pinned=draft.pinned,
                expires_at=draft.expires_at,
                now=int(now),
            ),
        )
        return await self.get(announcement_id)

    async def withdraw(self, author: User, announcement_id: int) -> None:
        """Take an announcement back everywhere: locally at once, remotely with a Delete."""
        announcement = await self.get(announcement_id)
        if announcement.withdrawn_at is not None:
            return
        now = int(self._clock())
        await self._broadcast.withdraw(
            source="announcement",
            object_uri=announcement.object_uri,
            store=lambda conn: announcements_store.withdraw_announcement(
                conn, announcement_id, now
            ),
        )
