"""Federation as an admin manages it: follow a city, decide follow requests, allow or block
servers, see and retry dead letters."""

from __future__ import annotations

from dataclasses import dataclass

from node.errors import N_, InvalidInput, NotFound
from node.federation.actor_directory import ActorError, NotAHandle
from node.federation.policy import BadHostName, FollowError
from node.federation.runtime import Federation
from node.models.federation import Delivery, Follow, FollowWithActor, PeerHost
from node.storage import activities as activities_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import peers as peers_store
from node.storage.database import Database


@dataclass(frozen=True)
class FederationOverview:
    peers: list[PeerHost]
    pending_requests: list[FollowWithActor]
    followers: list[FollowWithActor]
    following: list[FollowWithActor]
    dead_letters: list[Delivery]
    delivery_counts: dict[str, int]


class Peering:
    def __init__(self, db: Database, federation: Federation) -> None:
        self._db = db
        self._federation = federation

    async def overview(self) -> FederationOverview:
        def read(conn) -> FederationOverview:
            return FederationOverview(
                peers=peers_store.list_peer_hosts(conn),
                pending_requests=peers_store.list_follows(conn, "inbound", "pending"),
                followers=peers_store.list_follows(conn, "inbound", "accepted"),
                following=peers_store.list_follows(conn, "outbound"),
                dead_letters=activities_store.list_deliveries_by_state(conn, "dead", 100),
                delivery_counts=activities_store.count_deliveries_by_state(conn),
            )

        return await self._db.read("federation_overview", read)

    async def follow_city(self, handle: str, neighbourhood_slugs: list[str] | None) -> list[Follow]:
        """Our neighbourhoods follow a city actor, given as city@host or its URL."""
        typed = handle.strip()
        try:
            uri = await self._federation.directory.webfinger(handle)
            await self._federation.directory.actor(uri)
        except NotAHandle:
            message = N_("“%(handle)s” is not a city's address such as city@quartier.mons.be.")
            raise InvalidInput({"handle": (message, {"handle": typed})}) from None
        except ActorError as exc:
            # The sentence in the admin's language; the server's own answer after it, as it
            # came (what the other server's admin will want to hear).
            reason = (
                N_("Could not reach %(handle)s (%(reason)s)."),
                {"handle": typed, "reason": str(exc)},
            )
            raise InvalidInput({"handle": reason}) from None
        neighbourhoods = await self._db.read(
            "list_neighbourhoods", neighbourhoods_store.list_neighbourhoods
        )
        chosen = [
            n
            for n in neighbourhoods
            if neighbourhood_slugs is None or n.slug in neighbourhood_slugs
        ]
        if not chosen:
            raise InvalidInput({"neighbourhoods": N_("Choose at least one neighbourhood.")})
        actors = self._federation.actors
        return [
            await self._federation.policy.follow(actors.neighbourhood(n.slug, n.name), uri)
            for n in chosen
        ]

    async def decide(self, follow_id: int, approve: bool) -> Follow:
        try:
            return await self._federation.policy.decide(follow_id, approve)
        except FollowError as exc:
            raise NotFound("%(reason)s", reason=str(exc)) from None

    async def unfollow(self, follow_id: int) -> None:
        try:
            await self._federation.policy.unfollow(follow_id)
        except FollowError as exc:
            raise NotFound("%(reason)s", reason=str(exc)) from None

    async def set_host_policy(self, host: str, policy: str, note: str = "") -> None:
        try:
            await self._federation.policy.set_host_policy(host, policy, note)
        except BadHostName:
            raise InvalidInput(
                {"host": N_("Give a server's host name, such as quartier.nimy.be.")}
            ) from None
        except FollowError as exc:
            raise InvalidInput({"host": ("%(reason)s", {"reason": str(exc)})}) from None

    async def retry_dead_letter(self, delivery_id: int) -> None:
        retried = await self._db.write(
            "retry_dead_delivery",
            activities_store.retry_dead_delivery,
            delivery_id,
            int(self._federation.worker._clock()),
        )
        if not retried:
            raise NotFound(N_("There is no such dead letter."))
        self._federation.worker.wake()
