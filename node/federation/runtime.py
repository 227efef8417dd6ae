"""The federation of one node, wired together: built by the app factory, started and stopped
with the app. Nothing here is global, so several nodes can federate inside one process."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import aiohttp

from node.config import Config
from node.federation.actor_directory import ActorDirectory
from node.federation.actors import AS_PUBLIC, LocalActors, actor_document
from node.federation.delivery import DeliveryWorker
from node.federation.egress import EgressGuard
from node.federation.inbox import InboxPipeline
from node.federation.keys import NodeKeys, fingerprint
from node.federation.outbox import Outbox
from node.federation.policy import FollowPolicy
from node.federation.processing import InboxProcessor
from node.federation.publication import Publication
from node.federation.remote_fetch import RemoteFetcher, make_session
from node.federation.signing import CAVAGE, RFC9421, RequestSigner, RequestVerifier
from node.schema_registry import SchemaRegistry
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import node_state as node_state_store
from node.storage import peers as peers_store
from node.storage.database import Database


def local_actors_for(config: Config) -> LocalActors:
    return LocalActors(
        config.base_url,
        config.node.name,
        config.city.handle if config.city.enabled else None,
        config.city.name,
    )


class Federation:
    def __init__(
        self,
        config: Config,
        db: Database,
        keys: NodeKeys,
        schemas: SchemaRegistry,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        settings = config.federation
        self.config = config
        self.db = db
        self.keys = keys
        self.actors = local_actors_for(config)
        self.session = make_session(
            settings.allow_private_addresses, settings.fetch_timeout_seconds, trace_configs
        )
        self.signer = RequestSigner(keys)
        self._schemes: dict[str, str] = {}
        instance = self.actors.instance()
        self.fetcher = RemoteFetcher(
            self.session,
            settings.allow_private_addresses,
            settings.max_document_kb * 1024,
            sign=lambda method, url: self.signer.sign(method, url, None, instance, CAVAGE),
        )
        self.directory = ActorDirectory(
            db,
            self.fetcher,
            clock,
            on_ed25519_host=self._note_ed25519_host,
            allow_http=settings.allow_private_addresses,
        )
        self.verifier = RequestVerifier(self.directory)
        self.guard = EgressGuard(self.actors)
        self.publication = Publication(db, self.guard)
        self.worker = DeliveryWorker(
            db,
            self.session,
            self.signer,
            self.actors,
            self.scheme_for_host,
            self._remember_scheme,
            settings.allow_private_addresses,
            settings.delivery_concurrency,
            settings.delivery_give_up_hours,
            clock,
        )
        self.outbox = Outbox(self.actors, keys, schemas, self.guard, self.worker.wake)
        self.policy = FollowPolicy(
            db, self.actors, self.outbox, self.directory, settings.approval_required, clock
        )
        self.processor = InboxProcessor(
            db, self.actors, self.directory, self.outbox, self.policy, clock
        )
        self.inbox = InboxPipeline(
            db,
            self.directory,
            self.verifier,
            schemas,
            settings.max_document_kb * 1024,
            settings.inbox_requests_per_minute,
            settings.approval_required,
            self.processor.wake,
            clock,
        )
        # Other background passes that produce deliveries (reporting to the city): a settle
        # runs them between processing what came in and delivering what goes out.
        self._settle_hooks: list[Callable[[], Awaitable[None]]] = []

    def add_settle_hook(self, drain: Callable[[], Awaitable[None]]) -> None:
        self._settle_hooks.append(drain)

    def scheme_for_host(self, host: str) -> str:
        """RFC 9421 for servers publishing Ed25519 keys (ours); Mastodon's cavage otherwise."""
        return self._schemes.get(host, CAVAGE)

    def _remember_scheme(self, host: str, scheme: str) -> None:
        self._schemes[host] = scheme

    def _note_ed25519_host(self, host: str) -> None:
        self._schemes.setdefault(host, RFC9421)

    async def start(self) -> None:
        hosts = await self.db.read("list_peer_hosts", peers_store.list_peer_hosts)
        self._schemes.update({p.host: p.signature_scheme for p in hosts if p.signature_scheme})
        await self.announce_rotated_keys()
        self.worker.start()
        self.processor.start()

    def local_actors(self, neighbourhoods) -> list:
        actors = [self.actors.instance()]
        if (city := self.actors.city()) is not None:
            actors.append(city)
        actors.extend(self.actors.neighbourhood(n.slug, n.name) for n in neighbourhoods)
        return actors

    async def announce_rotated_keys(self) -> int:
        """When the keys changed since the node last ran (`quartier admin keys rotate`), send
        every peer an `Update` of each of our actors, so they fetch the new keys."""
        current = fingerprint(self.keys)

        def read(conn):
            return (
                node_state_store.get_node_state(conn, "key_fingerprint"),
                neighbourhoods_store.list_neighbourhoods(conn),
            )

        previous, neighbourhoods = await self.db.read("key_fingerprint", read)
        if previous == current:
            return 0
        now = time.time()
        updates = []
        if previous is not None:
            for actor in self.local_actors(neighbourhoods):
                document = actor_document(actor, self.keys, self.actors.shared_inbox)
                updates.append(
                    self.outbox.prepare(
                        actor, "Update", document, now, source="actor", to=[AS_PUBLIC]
                    )
                )

        def record(conn) -> int:
            inboxes = peers_store.list_peer_inboxes(conn)
            for update in updates:
                self.outbox.enqueue(conn, update, inboxes, public=False, now=now)
            node_state_store.put_node_state(conn, "key_fingerprint", current)
            return len(inboxes) * len(updates)

        queued = await self.db.write("announce_rotated_keys", record)
        self.outbox.wake()
        return queued

    async def stop(self) -> None:
        await self.worker.stop()
        await self.processor.stop()
        await self.session.close()

    async def settle(self) -> None:
        """Process everything received and deliver everything due (for tests and the demo)."""
        await self.processor.drain()
        for drain in self._settle_hooks:
            await drain()
        await self.worker.drain()
