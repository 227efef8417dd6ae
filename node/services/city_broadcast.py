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
from node.errors import N_, Conflict, Forbidden, InvalidInput
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

LOCAL = city_reports_store.LOCAL_TARGET


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

    def _addressing(
        self, named: list[str], public: bool, every_follower: bool = False
    ) -> dict[str, Any]:
        """Chosen neighbourhoods are named one by one. Every neighbourhood that follows the
        city is addressed as the city's followers collection instead: naming them all would
        grow the activity by ~165 bytes per neighbourhood, past the 1 MiB an inbox accepts
        at about 6,000 of them (bench/fanout.py). Receivers read the collection as "every
        neighbourhood of ours that follows the city" (processing)."""
        city = self.city()
        if every_follower:
            return {
                "to": [city.followers] + ([AS_PUBLIC] if public else []),
                "cc": [],
                "audience": None,
            }
        return {
            "to": list(named) + ([AS_PUBLIC] if public else []),
            "cc": [city.followers],
            "audience": list(named) or None,
        }

    def _address(
        self,
        obj: dict[str, Any],
        named: list[str],
        public: bool,
        every_follower: bool = False,
    ) -> dict:
        addressing = self._addressing(named, public, every_follower)
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
        store: Callable[[Any], int],
        public_copy: dict[str, Any] | None = None,
    ) -> int:
        """Publish `obj` (which has its `id` from `new_object_uri()`) to `targets`.

        `store(conn)` records the feature's own row in the same transaction, after the
        object's targets (`city_object_targets`), and returns its id. Raises InvalidInput
        (field "targets") for an unknown target.

        Followers are never listed here: which neighbourhoods "every neighbourhood" means,
        and which inboxes get the activity, are chosen in SQL when it is queued, so
        publishing to 10,000 neighbourhoods costs no more memory than to 16."""
        if targets.empty:
            raise InvalidInput(
                {"targets": N_("Choose at least one neighbourhood, or all of them.")}
            )
        # The activity is signed outside the write, addressed by who follows the city then;
        # if that changed before the write (a neighbourhood followed meanwhile), sign again.
        for _ in range(3):
            try:
                return await self._publish_once(
                    source, kind, obj, targets, view, public, store, public_copy
                )
            except _FollowersChanged:
                continue
        raise Conflict(N_("The neighbourhoods following the city keep changing. Try again."))

    async def _publish_once(
        self,
        source: str,
        kind: str,
        obj: dict[str, Any],
        targets: Targets,
        view: ResidentView,
        public: bool,
        store: Callable[[Any], int],
        public_copy: dict[str, Any] | None,
    ) -> int:
        city = self.city()
        now = self._clock()
        named = list(dict.fromkeys(targets.remote))

        def check(conn) -> tuple[list[str], int]:
            return (
                peers_store.not_follower_groups(conn, city.key, named),
                peers_store.count_follower_groups(conn, city.key),
            )

        unknown, following = await self._db.read("city_targets", check)
        if unknown:
            raise InvalidInput(
                {"targets": (N_("%(target)s does not follow the city."), {"target": unknown[0]})}
            )
        every_follower = following > 0 and (targets.everywhere or len(named) == following)
        document = self._address(
            {**obj, "published": obj.get("published") or iso_now(now)},
            named,
            public,
            every_follower,
        )
        activity = None
        if every_follower or named or public:
            activity = self._federation.outbox.prepare(
                city,
                "Create",
                document,
                now,
                source=source,
                **self._addressing(named, public, every_follower),
            )
        copy_document = copy_activity = None
        if public_copy is not None:
            copy_document = self._address(
                {**public_copy, "published": iso_now(now)}, [], public=True
            )
            copy_activity = self._federation.outbox.prepare(
                city, "Create", copy_document, now, source=source, **self._addressing([], True)
            )

        def write(conn) -> int:
            if check(conn) != ([], following):
                raise _FollowersChanged
            local_ids = self._local_ids(conn, targets)
            city_reports_store.put_city_object_targets(
                conn, document["id"], [f"{LOCAL}{n}" for n in local_ids] + named
            )
            if targets.everywhere:
                city_reports_store.put_follower_groups_as_targets(conn, document["id"], city.key)
            feature_id = store(conn)
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
                self._federation.outbox.enqueue_to_followers(
                    conn, activity, city, targets_of=document["id"], public=public, now=now
                )
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
                self._federation.outbox.enqueue_to_followers(
                    conn, copy_activity, city, targets_of=None, public=True, now=now
                )
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

    def _where_it_went(self, conn, object_uri: str) -> tuple[list[int], list[str], bool]:
        """The local neighbourhoods an object went to, the remote ones to name (none when it
        went to every neighbourhood following the city: that is its followers collection),
        and whether that is the case. Runs inside a database read."""
        local = city_reports_store.list_city_object_targets(conn, object_uri, only="local")
        local_ids = [int(t[len(LOCAL) :]) for t in local]
        if city_reports_store.targets_every_follower_group(conn, object_uri, self.city().key):
            return local_ids, [], True
        remote = city_reports_store.list_city_object_targets(conn, object_uri, only="remote")
        return local_ids, remote, False

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
                *self._where_it_went(conn, obj["id"]),
                activities_store.is_published_publicly(conn, obj["id"]),
            )

        local_ids, named, every_follower, public = await self._db.read("city_object_targets", read)
        document = self._address({**obj, "updated": iso_now(now)}, named, public, every_follower)
        activity = None
        if every_follower or named or public:
            activity = self._federation.outbox.prepare(
                city,
                "Update",
                document,
                now,
                source=source,
                **self._addressing(named, public, every_follower),
            )

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
                self._federation.outbox.enqueue_to_followers(
                    conn, activity, city, targets_of=obj["id"], public=public, now=now
                )

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

        def read(conn):
            _, named, every_follower = self._where_it_went(conn, object_uri)
            public = {
                uri: activities_store.is_published_publicly(conn, uri)
                for uri in (object_uri, *also)
            }
            return named, every_follower, public

        named, every_follower, public = await self._db.read("city_object_targets", read)
        # Each Delete goes where its object went, no further: a survey's or a call's to the
        # neighbourhoods alone (the fediverse never saw it, and the public outbox must not
        # show it); a public object's to the city's fediverse followers too. `also` objects
        # (a survey's public Note) went to the public only.
        deletes = []
        for uri in (object_uri, *also):
            to_neighbourhoods = uri == object_uri and (every_follower or bool(named))
            if not (to_neighbourhoods or public[uri]):
                continue  # it went to this node's own neighbourhoods only
            delete = self._federation.outbox.prepare(
                city,
                "Delete",
                {"id": uri, "type": "Tombstone"},
                now,
                source=source,
                **self._addressing(
                    named if to_neighbourhoods else [],
                    public[uri],
                    every_follower and to_neighbourhoods,
                ),
            )
            deletes.append((delete, object_uri if to_neighbourhoods else None, public[uri]))

        def write(conn) -> None:
            store(conn)
            for uri in (object_uri, *also):
                city_messages_store.withdraw_city_message(conn, uri, city.uri, int(now))
                activities_store.mark_federated_object_deleted(conn, uri, int(now))
            for delete, targets_of, is_public in deletes:
                self._federation.outbox.enqueue_to_followers(
                    conn, delete, city, targets_of=targets_of, public=is_public, now=now
                )

        await self._db.write(f"withdraw_{source}", write)
        self._federation.outbox.wake()


class _FollowersChanged(Exception):
    """Who follows the city changed between signing a publication and recording it."""


def _neighbourhoods_among(followers: list[FollowWithActor]) -> list[RemoteNeighbourhood]:
    """The followers that are neighbourhoods (`Group`s) of other nodes."""
    return [
        RemoteNeighbourhood(f.actor.uri, f.actor.name or f.actor.preferred_username, f.actor.host)
        for f in followers
        if f.actor is not None and f.actor.type == "Group"
    ]
