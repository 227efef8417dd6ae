"""Publishing: turning an activity into the exact bytes every destination will receive.

Each activity is signed once (FEP-8b32 `eddsa-jcs-2022` proof), validated against its
schema, passed through the egress guard, and stored with one delivery row per destination
inbox — all in the caller's write transaction, so an activity is either fully queued or not
at all. The delivery worker then sends the stored bytes; it never re-serialises.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from node.errors import InvalidInput
from node.federation.actors import ACTIVITY_CONTEXT, LocalActor, LocalActors
from node.federation.egress import EgressGuard, EgressRefused
from node.federation.integrity_proofs import sign_document
from node.federation.keys import NodeKeys
from node.schema_registry import SchemaRegistry
from node.storage import activities as activities_store

SCHEMA_OF = {
    "Create": "activitypub/create",
    "Update": "activitypub/update",
    "Delete": "activitypub/delete",
    "Follow": "activitypub/follow",
    "Accept": "activitypub/accept",
    "Reject": "activitypub/reject",
    "Undo": "activitypub/undo",
}


def iso_now(now: float) -> str:
    return datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_time_of(value: Any) -> int | None:
    """An ISO 8601 date-time from a received document as Unix time; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


class Outbox:
    """Builds, signs and queues activities. Use `prepare()` outside the database thread
    (signing costs CPU), then `enqueue()` inside the caller's write interaction."""

    def __init__(
        self,
        actors: LocalActors,
        keys: NodeKeys,
        schemas: SchemaRegistry,
        guard: EgressGuard,
        wake_worker: Callable[[], None] = lambda: None,
    ) -> None:
        self._actors = actors
        self._keys = keys
        self._schemas = schemas
        self._guard = guard
        self._wake_worker = wake_worker

    def new_object_uri(self) -> str:
        return self._actors.object_uri(str(uuid.uuid4()))

    def prepare(
        self, actor: LocalActor, kind: str, obj: Any, now: float, source: str, **fields: Any
    ) -> dict[str, Any]:
        """A signed activity of `actor`, checked against its schema and the egress guard."""
        activity: dict[str, Any] = {
            "@context": ACTIVITY_CONTEXT,
            "id": self._actors.activity_uri(str(uuid.uuid4())),
            "type": kind,
            "actor": actor.uri,
            "object": obj,
            "published": iso_now(now),
            **{name: value for name, value in fields.items() if value is not None},
        }
        self._guard.check_activity(activity, source)
        signed = sign_document(
            activity, self._keys.ed25519, actor.ed25519_key_id, created=iso_now(now)
        )
        # Egress validation before enqueueing: a wrong document never reaches the queue.
        try:
            self._schemas.validate(SCHEMA_OF[kind], signed)
        except InvalidInput as exc:
            raise EgressRefused(f"{kind} fails its schema: {exc.detail}") from None
        return signed

    def enqueue(
        self,
        conn: sqlite3.Connection,
        activity: dict[str, Any],
        inboxes: Iterable[str],
        public: bool,
        now: float,
    ) -> int:
        """Store the activity and one delivery per distinct inbox; return the delivery count."""
        activity_id = self._store(conn, activity, public, now)
        destinations = sorted({(inbox, urlsplit(inbox).netloc) for inbox in inboxes})
        return activities_store.put_deliveries(conn, activity_id, destinations, int(now))

    def enqueue_to_followers(
        self,
        conn: sqlite3.Connection,
        activity: dict[str, Any],
        actor: LocalActor,
        *,
        targets_of: str | None,
        public: bool,
        now: float,
    ) -> int:
        """Store the activity and queue it, in SQL, for the followers of `actor` that are
        targets of the city object `targets_of` (and, when `public`, every follower that is
        not a neighbourhood); return the delivery count. For a fan-out to thousands of
        followers: the queue's memory stays flat in their number (bench/fanout.py)."""
        activity_id = self._store(conn, activity, public, now)
        return activities_store.put_deliveries_to_followers(
            conn,
            activity_id,
            actor.key,
            targets_of=targets_of,
            public=public,
            now=int(now),
        )

    @staticmethod
    def _store(conn: sqlite3.Connection, activity: dict[str, Any], public: bool, now: float) -> int:
        obj = activity.get("object")
        object_uri = obj.get("id") if isinstance(obj, dict) else obj
        document = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
        return activities_store.put_activity(
            conn,
            activity["id"],
            activity["type"],
            activity["actor"],
            object_uri,
            document,
            public,
            int(now),
        )

    def wake(self) -> None:
        """Tell the delivery worker there is work (after the enqueueing transaction commits)."""
        self._wake_worker()
