"""Who may follow whom: the federation policy and the Follow/Accept/Reject/Undo exchanges.

- The city actor accepts followers from the fediverse at large (people following public
  announcements) at once. A server that wants its neighbourhoods to follow the city (a
  `Group`) needs an admin's approval, unless its host is on the allowlist.
- Neighbourhood groups and the instance actor cannot be followed: they are not public.
- A blocked host is refused everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from node.federation.actor_directory import ActorDirectory
from node.federation.actors import LocalActor, LocalActors
from node.federation.outbox import Outbox
from node.models.federation import Follow, RemoteActor
from node.storage import peers as peers_store
from node.storage.database import Database

PUBLIC_FOLLOWER_TYPES = frozenset({"Person", "Service"})


class FollowError(ValueError):
    """A follow cannot be made or decided; the message says why."""


class BadHostName(FollowError):
    """A server's host name that cannot be one (empty, with a path or a space)."""


class FollowPolicy:
    def __init__(
        self,
        db: Database,
        actors: LocalActors,
        outbox: Outbox,
        directory: ActorDirectory,
        approval_required: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._actors = actors
        self._outbox = outbox
        self._directory = directory
        self._approval_required = approval_required
        self._clock = clock

    async def receive_follow(self, activity: dict[str, Any], follower: RemoteActor) -> str:
        """Decide an incoming Follow; answer it unless it waits for an admin. Returns the state."""
        target = self._actors.by_uri(activity["object"])
        city = self._actors.city()
        now = self._clock()
        peer = await self._db.read("get_peer_host", peers_store.get_peer_host, follower.host)
        if target is None:
            raise FollowError(f"{activity['object']} is not an actor of this server")
        if city is None or target.uri != city.uri or (peer and peer.policy == "block"):
            state = "rejected"
        elif (
            (peer is not None and peer.policy == "allow")
            or not self._approval_required
            or follower.type in PUBLIC_FOLLOWER_TYPES
        ):
            state = "accepted"
        else:
            state = "pending"
        answer = None
        if state != "pending":
            answer = self._answer(target, activity, state, now)

        def record(conn) -> None:
            peers_store.put_follow(
                conn, "inbound", target.key, follower.uri, activity["id"], state, int(now)
            )
            if answer is not None:
                self._outbox.enqueue(conn, answer, [follower.inbox], public=False, now=now)

        await self._db.write("receive_follow", record)
        if answer is not None:
            self._outbox.wake()
        return state

    def _answer(
        self, target: LocalActor, follow: dict[str, Any], state: str, now: float
    ) -> dict[str, Any]:
        kind = "Accept" if state == "accepted" else "Reject"
        embedded = {k: follow[k] for k in ("id", "type", "actor", "object")}
        return self._outbox.prepare(
            target, kind, embedded, now, source="follow", to=[follow["actor"]]
        )

    async def decide(self, follow_id: int, approve: bool) -> Follow:
        """An admin approves or rejects a pending follow request."""
        follow = await self._db.read("get_follow_by_id", peers_store.get_follow_by_id, follow_id)
        if follow is None or follow.direction != "inbound" or follow.state != "pending":
            raise FollowError("this follow request does not exist or was already decided")
        follower = await self._directory.actor(follow.remote_actor)
        target = self._actors.by_uri(self._actors.base_url + "/ap/" + follow.local_actor)
        if target is None:
            raise FollowError("the followed actor no longer exists")
        now = self._clock()
        state = "accepted" if approve else "rejected"
        embedded = {
            "id": follow.follow_activity,
            "type": "Follow",
            "actor": follow.remote_actor,
            "object": target.uri,
        }
        answer = self._answer(target, embedded, state, now)

        def record(conn) -> None:
            peers_store.update_follow_state(conn, follow.id, state, int(now))
            self._outbox.enqueue(conn, answer, [follower.inbox], public=False, now=now)

        await self._db.write("decide_follow", record)
        self._outbox.wake()
        return follow

    async def follow(self, local: LocalActor, remote_uri: str) -> Follow:
        """One of our actors asks to follow a remote actor (typically a city)."""
        remote = await self._directory.actor(remote_uri)
        now = self._clock()
        activity = self._outbox.prepare(
            local, "Follow", remote.uri, now, source="follow", to=[remote.uri]
        )

        def record(conn) -> Follow:
            existing = peers_store.get_follow(conn, "outbound", local.key, remote.uri)
            if existing is not None and existing.state == "accepted":
                return existing
            follow = peers_store.put_follow(
                conn, "outbound", local.key, remote.uri, activity["id"], "pending", int(now)
            )
            self._outbox.enqueue(conn, activity, [remote.inbox], public=False, now=now)
            return follow

        follow = await self._db.write("follow_remote", record)
        self._outbox.wake()
        return follow

    async def unfollow(self, follow_id: int) -> None:
        follow = await self._db.read("get_follow_by_id", peers_store.get_follow_by_id, follow_id)
        if follow is None or follow.direction != "outbound":
            raise FollowError("no such follow")
        local = self._actors.by_uri(self._actors.base_url + "/ap/" + follow.local_actor)
        remote = await self._directory.actor(follow.remote_actor)
        now = self._clock()
        embedded = {
            "id": follow.follow_activity,
            "type": "Follow",
            "actor": local.uri if local else "",
            "object": follow.remote_actor,
        }
        undo = self._outbox.prepare(local, "Undo", embedded, now, source="follow", to=[remote.uri])

        def record(conn) -> None:
            peers_store.delete_follow(conn, follow.id)
            self._outbox.enqueue(conn, undo, [remote.inbox], public=False, now=now)

        await self._db.write("unfollow_remote", record)
        self._outbox.wake()

    async def set_host_policy(self, host: str, policy: str, note: str = "") -> None:
        if policy not in ("none", "allow", "block"):
            raise FollowError("policy must be none, allow or block")
        host = host.strip().lower()
        if not host or "/" in host or " " in host:
            raise BadHostName("give a host name such as quartier.nimy.be")
        await self._db.write(
            "put_peer_policy",
            peers_store.put_peer_policy,
            host,
            policy,
            note,
            int(self._clock()),
        )
