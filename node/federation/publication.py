"""What this node shows other servers when they read from it: NodeInfo figures, an actor's
outbox and follower count, and the objects and activities it published. One database
interaction per request; only published city content is ever returned."""

from __future__ import annotations

from node.federation.egress import EgressGuard
from node.models import Role
from node.storage import activities as activities_store
from node.storage import peers as peers_store
from node.storage import users as users_store
from node.storage.database import Database

OUTBOX_PAGE = 20


class Publication:
    def __init__(self, db: Database, guard: EgressGuard) -> None:
        self._db = db
        self._guard = guard

    async def nodeinfo_counts(self) -> tuple[int, int]:
        """(residents, public activities): counts only, as NodeInfo publishes them."""

        def counts(conn) -> tuple[int, int]:
            return (
                users_store.count_users_with_role(conn, Role.RESIDENT),
                activities_store.count_public_activities(conn),
            )

        return await self._db.read("nodeinfo_counts", counts)

    async def outbox(self, actor_uri: str) -> tuple[list[str], int]:
        """The actor's newest public activities (exact stored documents) and their total."""

        def read(conn) -> tuple[list[str], int]:
            return (
                activities_store.list_public_activities(conn, actor_uri, OUTBOX_PAGE),
                activities_store.count_public_activities(conn, actor_uri),
            )

        return await self._db.read("outbox", read)

    async def follower_count(self, actor_key: str) -> int:
        return await self._db.read(
            "count_followers", peers_store.count_follows, "inbound", "accepted", actor_key
        )

    async def fetchable_object(self, uri: str) -> str | None:
        """A published object's document, if anyone may fetch it; else None.

        Only what was published publicly (an announcement or event the city made public):
        a survey, a call for volunteers, a budget or an announcement to some neighbourhoods
        reaches their nodes by delivery, and nothing of ours fetches objects, so serving it
        here would only show it to whoever guesses or is shown its address."""
        found = await self._db.read(
            "get_federated_object", activities_store.get_federated_object, uri
        )
        if found is None:
            return None
        document, source, public = found
        if not public or not self._guard.check_fetch(source):
            return None
        return document

    async def public_activity(self, uri: str) -> str | None:
        found = await self._db.read(
            "get_activity_document", activities_store.get_activity_document, uri
        )
        return found[0] if found is not None and found[1] else None
