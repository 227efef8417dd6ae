"""Publishing a city object to neighbourhoods: the one path every dashboard feature shares.

A city object (an event, a survey, a call for volunteers, a budget) goes to local
neighbourhoods in the same transaction that records it (a `city_messages` row per object,
targeted at those neighbourhoods), and to remote neighbourhoods as one signed activity
addressed to their `Group` actors, queued in that same transaction. Edits go out as `Update`,
withdrawals as `Delete`, to the same places; where it went is kept in `city_object_targets`.

Fediverse followers (a Mastodon account) get the object itself only when it is `public`, or a
separate `public_copy` (a survey reaches them as a Note linking to its page, never a poll).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node.config import Config
from node.errors import N_, Forbidden, InvalidInput
from node.federation.actors import AS_PUBLIC, LocalActor
from node.federation.outbox import iso_now
from node.federation.runtime import Federation
from node.models.federation import FollowWithActor
from node.storage import activities as activities_store
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import peers as peers_store
from node.storage.database import Database

LOCAL = "local:"


@dataclass(frozen=True)
class Targets:
    """Where a city object goes: local neighbourhood ids and remote neighbourhood actor URIs;
    `everywhere` means every neighbourhood, local or following the city, at publishing time."""

    local: tuple[int, ...] = ()
    remote: tuple[str, ...] = ()
    everywhere: bool = False

    @property
    def empty(self) -> bool:
        return not (self.everywhere or self.local or self.remote)

    @classmethod
    def from_form(cls, values: list[str]) -> Targets:
        """From checkbox values: "all", "local:<id>" or a remote actor URI."""
        return cls(
            local=tuple(
                int(v[len(LOCAL) :])
                for v in values
                if v.startswith(LOCAL) and v[len(LOCAL) :].isdigit()
            ),
            remote=tuple(v for v in values if v.startswith(("http://", "https://"))),
            everywhere="all" in values,
        )


@dataclass(frozen=True)
class RemoteNeighbourhood:
    uri: str
    name: str
    host: str


@dataclass(frozen=True)
class ResidentView:
    """How the object shows in the residents' list of city messages."""

    title: str
    content_html: str
    urgent: bool = False
    pinned: bool = False
    expires_at: int | None = None


@dataclass(frozen=True)
class Publication:
    object_uri: str
    targets: tuple[str, ...]
    local_ids: tuple[int, ...] = field(default=())


class CityBroadcast:
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

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def city(self) -> LocalActor:
        city = self._federation.actors.city()
        if city is None:
            raise Forbidden(N_("This node does not host a city (set city.enabled)."))
        return city

    def new_object_uri(self) -> str:
        return self._federation.outbox.new_object_uri()

    def uuid_of(self, object_uri: str) -> str:
        return object_uri.rsplit("/", 1)[1]

    async def _city_followers(self) -> list[FollowWithActor]:
        """Every accepted follower of the city, with addresses but not actor documents: read
        once per publication (at 10,000 followers each listing is 10,000 records)."""
        return await self._db.read(
            "list_city_followers",
            peers_store.list_follows,
            "inbound",
            "accepted",
            self.city().key,
            False,  # addresses only, not each follower's actor document
        )

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        """Neighbourhoods of other nodes that follow the city (accepted): possible targets."""
        return _neighbourhoods_among(await self._city_followers())

    @staticmethod
    def _inboxes(
        followers: list[FollowWithActor], remote_targets: list[str], public: bool
    ) -> set[str]:
        """Where to deliver: the targeted neighbourhoods' inboxes, and, for a public object,
        every other follower's (Mastodon users)."""
        targets = set(remote_targets)
        return {
            f.actor.delivery_inbox
            for f in followers
            if f.actor is not None
            and (f.actor.uri in targets or (public and f.actor.type != "Group"))
        }

    def _addressing(
        self, remote_targets: list[str], public: bool, every_follower: bool = False
    ) -> dict[str, Any]:
        """Chosen neighbourhoods are named one by one. Every neighbourhood that follows the
        city is addressed as the city's followers collection instead: naming them all would
        grow the activity by ~165 bytes per neighbourhood, past the 1 MiB an inbox accepts
        at about 6,000 of them (bench/fanout.py). Receivers read the collection as "every
        neighbourhood of ours that follows the city" (processing)."""
        city = self.city()
        if every_follower and remote_targets:
            return {
                "to": [city.followers] + ([AS_PUBLIC] if public else []),
                "cc": [],
                "audience": None,
            }
        return {
            "to": list(remote_targets) + ([AS_PUBLIC] if public else []),
            "cc": [city.followers],
            "audience": list(remote_targets) or None,
        }

    @staticmethod
    def _is_every_follower(followers: list[FollowWithActor], remote_targets: list[str]) -> bool:
        following = {r.uri for r in _neighbourhoods_among(followers)}
        return bool(remote_targets) and following == set(remote_targets)

    def _address(
        self,
        obj: dict[str, Any],
        remote_targets: list[str],
        public: bool,
        every_follower: bool = False,
    ) -> dict:
        addressing = self._addressing(remote_targets, public, every_follower)
        addressed = {**obj, "attributedTo": self.city().uri, "to": addressing["to"]}
        if addressing["cc"]:
            addressed["cc"] = addressing["cc"]
        if addressing["audience"]:
            addressed["audience"] = addressing["audience"]
        return addressed

    async def publish(
        self,
        *,
        source: str,
        kind: str,
        obj: dict[str, Any],
        targets: Targets,
        view: ResidentView,
        public: bool,
        store: Callable[[Any, list[str]], int],
        public_copy: dict[str, Any] | None = None,
    ) -> int:
        """Publish `obj` (which has its `id` from `new_object_uri()`) to `targets`.

        `store(conn, targets)` records the feature's own row in the same transaction and
        returns its id. Raises InvalidInput (field "targets") for an unknown target."""
        city = self.city()
        if targets.empty:
            raise InvalidInput(
                {"targets": N_("Choose at least one neighbourhood, or all of them.")}
            )
        now = self._clock()
        followers = await self._city_followers()
        remote = {r.uri for r in _neighbourhoods_among(followers)}
        unknown = [uri for uri in targets.remote if uri not in remote]
        if unknown:
            raise InvalidInput(
                {"targets": (N_("%(target)s does not follow the city."), {"target": unknown[0]})}
            )
        remote_targets = sorted(remote) if targets.everywhere else list(targets.remote)
        every_follower = self._is_every_follower(followers, remote_targets)
        document = self._address(
            {**obj, "published": obj.get("published") or iso_now(now)},
            remote_targets,
            public,
            every_follower,
        )
        activity = None
        if remote_targets or public:
            activity = self._federation.outbox.prepare(
                city,
                "Create",
                document,
                now,
                source=source,
                **self._addressing(remote_targets, public, every_follower),
            )
        copy_document = copy_activity = None
        if public_copy is not None:
            copy_document = self._address(
                {**public_copy, "published": iso_now(now)}, [], public=True
            )
            copy_activity = self._federation.outbox.prepare(
                city, "Create", copy_document, now, source=source, **self._addressing([], True)
            )
        inboxes = self._inboxes(followers, remote_targets, public)
        public_inboxes = self._inboxes(followers, [], True)

        def write(conn) -> int:
            local_ids = self._local_ids(conn, targets)
            stored_targets = [f"{LOCAL}{n}" for n in local_ids] + remote_targets
            feature_id = store(conn, stored_targets)
            city_reports_store.put_city_object_targets(conn, document["id"], stored_targets)
            self._deliver_locally(conn, document, kind, view, local_ids, now)
            activities_store.put_federated_object(
                conn,
                document["id"],
                document["type"],
                source,
                feature_id,
                json.dumps(document, ensure_ascii=False),
                public,
            )
            if activity is not None:
                self._federation.outbox.enqueue(conn, activity, inboxes, public, now)
            if copy_activity is not None and copy_document is not None:
                activities_store.put_federated_object(
                    conn,
                    copy_document["id"],
                    copy_document["type"],
                    source,
                    feature_id,
                    json.dumps(copy_document, ensure_ascii=False),
                    True,
                )
                self._federation.outbox.enqueue(conn, copy_activity, public_inboxes, True, now)
            return feature_id

        feature_id = await self._db.write(f"publish_{source}", write)
        self._federation.outbox.wake()
        return feature_id

    def _local_ids(self, conn, targets: Targets) -> list[int]:
        if targets.everywhere:
            return [n.id for n in neighbourhoods_store.list_neighbourhoods(conn)]
        for n_id in targets.local:
            if neighbourhoods_store.get_neighbourhood_by_id(conn, n_id) is None:
                raise InvalidInput({"targets": N_("Choose neighbourhoods from the list.")})
        return list(targets.local)

    def _deliver_locally(
        self,
        conn,
        document: dict[str, Any],
        kind: str,
        view: ResidentView,
        local_ids: list[int],
        now: float,
    ) -> None:
        if not local_ids:
            return
        city = self.city()
        city_messages_store.put_city_message(
            conn,
            object_uri=document["id"],
            actor=city.uri,
            actor_name=city.name,
            kind=kind,
            title=view.title,
            content_html=view.content_html,
            urgent=view.urgent,
            pinned=view.pinned,
            expires_at=view.expires_at,
            published_at=int(now),
            document=json.dumps(document, ensure_ascii=False),
            neighbourhood_ids=local_ids,
            now=int(now),
        )

    async def update(
        self,
        *,
        source: str,
        kind: str,
        obj: dict[str, Any],
        view: ResidentView,
        store: Callable[[Any], None],
    ) -> None:
        """Send the changed object to where it went (`Update`), and change it locally."""
        city = self.city()
        now = self._clock()

        def read(conn):
            return (
                city_reports_store.list_city_object_targets(conn, obj["id"]),
                activities_store.get_federated_object(conn, obj["id"]),
            )

        stored_targets, published = await self._db.read("city_object_targets", read)
        public = bool(published and published[2])
        remote_targets = [t for t in stored_targets if not t.startswith(LOCAL)]
        local_ids = [int(t[len(LOCAL) :]) for t in stored_targets if t.startswith(LOCAL)]
        followers = await self._city_followers()
        every_follower = self._is_every_follower(followers, remote_targets)
        document = self._address(
            {**obj, "updated": iso_now(now)}, remote_targets, public, every_follower
        )
        activity = None
        if remote_targets or public:
            activity = self._federation.outbox.prepare(
                city,
                "Update",
                document,
                now,
                source=source,
                **self._addressing(remote_targets, public, every_follower),
            )
        inboxes = self._inboxes(followers, remote_targets, public)

        def write(conn) -> None:
            store(conn)
            self._deliver_locally(conn, document, kind, view, local_ids, now)
            activities_store.put_federated_object(
                conn,
                document["id"],
                document["type"],
                source,
                0,  # kept from publishing: an update never changes which row it is
                json.dumps(document, ensure_ascii=False),
                public,
            )
            if activity is not None:
                self._federation.outbox.enqueue(conn, activity, inboxes, public, now)

        await self._db.write(f"update_{source}", write)
        self._federation.outbox.wake()

    async def withdraw(
        self,
        *,
        source: str,
        object_uri: str,
        store: Callable[[Any], None],
        also: tuple[str, ...] = (),
    ) -> None:
        """Take the object back everywhere (`Delete`); `also` names other objects published
        with it (a survey's public Note)."""
        city = self.city()
        now = self._clock()
        stored_targets = await self._db.read(
            "city_object_targets", city_reports_store.list_city_object_targets, object_uri
        )
        remote_targets = [t for t in stored_targets if not t.startswith(LOCAL)]
        followers = await self._city_followers()
        inboxes = self._inboxes(followers, remote_targets, public=True)
        named = [] if self._is_every_follower(followers, remote_targets) else remote_targets
        deletes = [
            self._federation.outbox.prepare(
                city,
                "Delete",
                {"id": uri, "type": "Tombstone"},
                now,
                source=source,
                to=[*named, AS_PUBLIC],
                cc=[city.followers],
            )
            for uri in (object_uri, *also)
        ]

        def write(conn) -> None:
            store(conn)
            for uri in (object_uri, *also):
                city_messages_store.withdraw_city_message(conn, uri, city.uri, int(now))
                activities_store.mark_federated_object_deleted(conn, uri, int(now))
            for delete in deletes:
                self._federation.outbox.enqueue(conn, delete, inboxes, True, now)

        await self._db.write(f"withdraw_{source}", write)
        self._federation.outbox.wake()


def _neighbourhoods_among(followers: list[FollowWithActor]) -> list[RemoteNeighbourhood]:
    """The followers that are neighbourhoods (`Group`s) of other nodes."""
    return [
        RemoteNeighbourhood(f.actor.uri, f.actor.name or f.actor.preferred_username, f.actor.host)
        for f in followers
        if f.actor is not None and f.actor.type == "Group"
    ]
