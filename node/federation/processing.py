"""Processing accepted activities from the durable inbox queue, one handler per type.

Runs after the 202: a crash between receipt and processing loses nothing, the item is
still in `inbox_items` and is processed on restart.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import nh3

from node.federation.actor_directory import ActorDirectory, ActorError
from node.federation.actors import AS_PUBLIC, LocalActor, LocalActors
from node.federation.background import WakeableLoop
from node.federation.outbox import Outbox, unix_time_of
from node.federation.policy import FollowPolicy
from node.models.federation import InboxItem
from node.storage import activities as activities_store
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import inbox as inbox_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import peers as peers_store
from node.storage.database import Database

log = logging.getLogger(__name__)

# What a city may format in an announcement; everything else is dropped.
CONTENT_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote"}


def sanitise_city_html(html: Any) -> str:
    """HTML that came over the network (a city's message, a neighbourhood's initiative),
    reduced to the tags city content may use."""
    return nh3.clean(
        str(html or ""),
        tags=CONTENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


KIND_OF_OBJECT = {
    "Note": "announcement",
    "Event": "event",
    "Question": "survey",
    "quartier:VolunteerCall": "volunteer_call",
    "quartier:Budget": "budget",
}
REPORT = "quartier:Report"
ObjectHandler = Callable[[dict[str, Any]], Awaitable[None]]


def _addressed(activity: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field in ("to", "cc", "audience"):
        for source in (
            activity,
            activity.get("object") if isinstance(activity.get("object"), dict) else {},
        ):
            value = source.get(field)
            values = value if isinstance(value, list) else [value] if value else []
            found.extend(v for v in values if isinstance(v, str))
    return found


def _sent_to(document: dict[str, Any], group_uri: str, city: LocalActor) -> bool:
    """Was our object sent to this neighbourhood (which follows the city)? Named, or every
    follower of the city at once (`to` holds the followers collection: city_broadcast)."""
    to = document.get("to", [])
    to = to if isinstance(to, list) else [to]
    return group_uri in _addressed({"object": document}) or city.followers in to


def _leaves_feed_at(obj: dict[str, Any]) -> int | None:
    """When a city message leaves the neighbourhood's "From the city" panel: an announcement
    or a call for volunteers at its end, an event once it is over (or has begun, without an
    end). Surveys and budgets stay: their results and outcome come later."""
    if obj["type"] in ("Note", "quartier:VolunteerCall"):
        return unix_time_of(obj.get("endTime"))
    if obj["type"] == "Event":
        return unix_time_of(obj.get("endTime")) or unix_time_of(obj.get("startTime"))
    return None


class InboxProcessor:
    def __init__(
        self,
        db: Database,
        actors: LocalActors,
        directory: ActorDirectory,
        outbox: Outbox,
        policy: FollowPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._actors = actors
        self._directory = directory
        self._outbox = outbox
        self._policy = policy
        self._clock = clock
        self._loop = WakeableLoop("inbox-processor", self._process_batch, self._idle_timeout)
        self.wake = self._loop.wake
        self.start = self._loop.start
        self.stop = self._loop.stop
        self.drain = self._loop.drain
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "Follow": self._on_follow,
            "Accept": self._on_accept_or_reject,
            "Reject": self._on_accept_or_reject,
            "Undo": self._on_undo,
            "Create": self._on_create_or_update,
            "Update": self._on_create_or_update,
            "Delete": self._on_delete,
        }
        # Create/Update of extension objects handled by a feature (e.g. initiatives), by type.
        self._object_handlers: dict[str, ObjectHandler] = {}
        # Told after a city message arrives, changes or is withdrawn (reporting wakes up).
        self._city_message_listeners: list[Callable[[], None]] = []

    def register_object_handler(self, object_type: str, handler: ObjectHandler) -> None:
        """Let a feature handle Create/Update of its own extension object type."""
        self._object_handlers[object_type] = handler

    def on_city_message(self, listener: Callable[[], None]) -> None:
        self._city_message_listeners.append(listener)

    def _city_message_changed(self) -> None:
        for listener in self._city_message_listeners:
            listener()

    async def _idle_timeout(self) -> float:
        return 30.0  # new items wake the loop at once; this only bounds a missed wake-up

    async def process_pending(self) -> int:
        return await self._loop.run_once()

    async def _process_batch(self, limit: int = 200) -> int:
        items = await self._db.read(
            "list_unprocessed_inbox_items", inbox_store.list_unprocessed_inbox_items, limit
        )
        outcomes = [(item.id, await self._process(item)) for item in items]
        if outcomes:
            # One write marks the whole batch: a write per item doubled the processor's trips
            # to the writer, where it queues behind the inbox's own. Processing is at least
            # once, as it always was (a crash between a handler's write and its mark): every
            # handler is idempotent, and a crash now repeats at most one batch.
            await self._db.write(
                "mark_inbox_items_processed",
                inbox_store.mark_inbox_items_processed,
                outcomes,
                int(self._clock()),
            )
        return len(items)

    async def _process(self, item: InboxItem) -> str | None:
        """Handle one item; the error that stopped it, if any, is kept with it."""
        try:
            await self._handlers[item.type](json.loads(item.document))
        except (ActorError, ValueError, KeyError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("could not process %s %s: %s", item.type, item.activity_uri, error)
            return error
        except Exception as exc:
            # A bug of ours: kept with the item, which must not block the queue behind it.
            log.exception("processing %s %s failed", item.type, item.activity_uri)
            return f"{type(exc).__name__}: {exc}"
        return None

    # -- follows ------------------------------------------------------------------------------

    async def _on_follow(self, activity: dict[str, Any]) -> None:
        follower = await self._directory.actor(activity["actor"])
        await self._policy.receive_follow(activity, follower)

    async def _on_accept_or_reject(self, activity: dict[str, Any]) -> None:
        obj = activity["object"]
        follow_id = obj if isinstance(obj, str) else obj.get("id")
        state = "accepted" if activity["type"] == "Accept" else "rejected"
        now = int(self._clock())

        def decide(conn) -> None:
            follow = peers_store.get_follow_by_activity(conn, follow_id)
            if follow is None or follow.direction != "outbound":
                raise ValueError(f"no follow of ours is {follow_id}")
            if follow.remote_actor != activity["actor"]:
                raise ValueError("only the followed actor may answer a follow")
            peers_store.update_follow_state(conn, follow.id, state, now)

        await self._db.write("answer_follow", decide)

    async def _on_undo(self, activity: dict[str, Any]) -> None:
        obj = activity["object"]
        follow_id = obj if isinstance(obj, str) else obj.get("id")

        def undo(conn) -> None:
            follow = peers_store.get_follow_by_activity(conn, follow_id)
            if follow is None or follow.remote_actor != activity["actor"]:
                raise ValueError(f"nothing to undo for {follow_id}")
            peers_store.delete_follow(conn, follow.id)

        await self._db.write("undo_follow", undo)

    # -- city content -------------------------------------------------------------------------

    async def _on_create_or_update(self, activity: dict[str, Any]) -> None:
        obj = activity["object"]
        if obj.get("type") in ("Application", "Group", "Organization", "Person", "Service"):
            await self._directory.fetch_actor(activity["actor"])  # keys may have rotated
            return
        if obj.get("type") == REPORT:
            await self._on_report(activity)
            return
        if obj.get("type") in self._object_handlers:
            await self._object_handlers[obj["type"]](activity)
            return
        if obj.get("type") not in KIND_OF_OBJECT:
            raise ValueError(f"a {obj.get('type')} is not something we receive from a city")
        actor_uri = activity["actor"]
        actor = await self._directory.actor(actor_uri)
        addressed = _addressed(activity)
        now = int(self._clock())
        content = sanitise_city_html(obj.get("content"))

        def store(conn) -> int:
            following = peers_store.list_follows(conn, "outbound", "accepted")
            our_followers_of_actor = {
                f.follow.local_actor for f in following if f.follow.remote_actor == actor_uri
            }
            if not our_followers_of_actor:
                raise ValueError(f"we do not follow {actor_uri}")
            slugs = {self._actors.neighbourhood_slug(uri) for uri in addressed} - {None}
            if not slugs and (AS_PUBLIC in addressed or f"{actor_uri}/followers" in addressed):
                # Addressed to all its followers: every neighbourhood of ours that follows it.
                slugs = {key.removeprefix("n/") for key in our_followers_of_actor}
            ids = [
                n.id
                for slug in slugs
                if (n := neighbourhoods_store.get_neighbourhood_by_slug(conn, slug)) is not None
                and f"n/{slug}" in our_followers_of_actor
            ]
            if not ids:
                return 0
            city_messages_store.put_city_message(
                conn,
                object_uri=obj["id"],
                actor=actor_uri,
                actor_name=actor.name or actor.preferred_username,
                kind=KIND_OF_OBJECT.get(obj["type"], "announcement"),
                title=str(obj.get("name") or obj.get("summary") or "")[:500],
                content_html=content,
                urgent=bool(obj.get("quartier:urgent", False)),
                pinned=bool(obj.get("quartier:pinned", False)),
                expires_at=_leaves_feed_at(obj),
                published_at=unix_time_of(obj.get("published")) or now,
                document=json.dumps(obj, ensure_ascii=False),
                neighbourhood_ids=ids,
                now=now,
            )
            return len(ids)

        if await self._db.write("store_city_message", store):
            self._city_message_changed()

    async def _on_report(self, activity: dict[str, Any]) -> None:
        """An aggregate from a neighbourhood that follows our city, about our city (its
        statistics) or about one of our objects that was addressed to that neighbourhood."""
        report = activity["object"]
        actor_uri = activity["actor"]
        city = self._actors.city()
        if city is None:
            raise ValueError("this node hosts no city to report to")
        if report.get("attributedTo") != actor_uri:
            raise ValueError("a report must be attributed to the neighbourhood that sends it")
        actor = await self._directory.actor(actor_uri)
        if actor.type != "Group":
            raise ValueError("only a neighbourhood reports to the city")
        subject = report["inReplyTo"]
        now = int(self._clock())

        def store(conn) -> bool:
            follow = peers_store.get_follow(conn, "inbound", city.key, actor_uri)
            if follow is None or follow.state != "accepted":
                raise ValueError(f"{actor_uri} does not follow the city")
            if subject != city.uri:
                published = activities_store.get_federated_object(conn, subject)
                if published is None or not _sent_to(json.loads(published[0]), actor_uri, city):
                    raise ValueError(f"{subject} was not sent to {actor_uri}")
            return city_reports_store.put_city_report(
                conn,
                subject_uri=subject,
                kind=report["quartier:reportKind"],
                neighbourhood_uri=actor_uri,
                neighbourhood_name=actor.name or actor.preferred_username,
                host=actor.host,
                sequence=report["quartier:sequence"],
                final=report["quartier:final"],
                figures=report["quartier:figures"],
                now=now,
            )

        await self._db.write("store_city_report", store)

    async def _on_delete(self, activity: dict[str, Any]) -> None:
        obj = activity["object"]
        object_id = obj if isinstance(obj, str) else obj["id"]
        now = int(self._clock())
        withdrawn = await self._db.write(
            "withdraw_city_message",
            city_messages_store.withdraw_city_message,
            object_id,
            activity["actor"],
            now,
        )
        if withdrawn:
            self._city_message_changed()
