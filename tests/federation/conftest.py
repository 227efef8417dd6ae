"""Several real nodes in one process, each on its own 127.0.0.1 port, with real keys and real
HTTP between them. Every byte a node's HTTP client sends or receives is captured, so tests can
search the whole traffic. Tests wait by settling the queues, never by sleeping."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.api.app_keys import ACCOUNTS, ANNOUNCEMENTS, FEDERATION, PEERING, REGISTER, REPORTING
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.federation.runtime import Federation
from node.storage import activities as activities_store
from node.storage import inbox as inbox_store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Traffic:
    """Everything nodes sent over HTTP: request lines, headers and bodies, and the bodies of
    the answers they received (remote fetches). Bytes, as they went on the wire."""

    chunks: list[bytes] = field(default_factory=list)

    def trace_config(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()

        async def on_headers(session, ctx, params) -> None:
            lines = [f"{params.method} {params.url}"] + [
                f"{k}: {v}" for k, v in params.headers.items()
            ]
            self.chunks.append("\r\n".join(lines).encode())

        async def on_chunk_sent(session, ctx, params) -> None:
            self.chunks.append(bytes(params.chunk))

        async def on_chunk_received(session, ctx, params) -> None:
            self.chunks.append(bytes(params.chunk))

        trace.on_request_headers_sent.append(on_headers)
        trace.on_request_chunk_sent.append(on_chunk_sent)
        trace.on_response_chunk_received.append(on_chunk_received)
        return trace

    def contains(self, needle: str) -> bool:
        data = needle.encode()
        return any(data in chunk for chunk in self.chunks) or data in b"".join(self.chunks)

    @property
    def total_bytes(self) -> int:
        return sum(len(c) for c in self.chunks)


@dataclass
class FederatedNode:
    name: str
    port: int
    data_dir: Path
    server: TestServer
    client: TestClient
    env: dict[str, str] = field(default_factory=dict)

    @property
    def app(self):
        return self.server.app

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def federation(self) -> Federation:
        return self.app[FEDERATION]

    @property
    def register(self):
        return self.app[REGISTER]

    @property
    def announcements(self):
        return self.app[ANNOUNCEMENTS]

    @property
    def accounts(self):
        return self.app[ACCOUNTS]

    @property
    def peering(self):
        return self.app[PEERING]

    def group_uri(self, slug: str) -> str:
        return f"{self.base_url}/ap/n/{slug}"

    @property
    def city_uri(self) -> str:
        return f"{self.base_url}/ap/city"

    async def pending_work(self) -> int:
        db = self.federation.db

        def count(conn) -> int:
            due = activities_store.list_due_deliveries(conn, int(time.time()), 10_000)
            waiting = inbox_store.list_unprocessed_inbox_items(conn, 10_000)
            return len(due) + len(waiting)

        return await db.read("pending_work", count)

    async def received_types(self) -> list[str]:
        """The type of every activity this node's inbox kept, in the order it came."""

        def read(conn) -> list[str]:
            return [row[0] for row in conn.execute("SELECT type FROM inbox_items ORDER BY id")]

        return await self.federation.db.read("received_types", read)

    async def failures(self) -> list[str]:
        """What went wrong here, one line each: deliveries that failed (waiting for a retry,
        or given up) and received activities whose processing stopped on an error."""

        def read(conn) -> list[str]:
            failed = conn.execute(
                "SELECT a.type, d.inbox, d.state, d.last_error"
                " FROM deliveries d JOIN activities a ON a.id = d.activity_id"
                " WHERE d.attempts > 0 AND d.state != 'delivered' ORDER BY d.id"
            ).fetchall()
            stopped = conn.execute(
                "SELECT type, activity_uri, error FROM inbox_items"
                " WHERE error IS NOT NULL ORDER BY id"
            ).fetchall()
            return [
                f"{self.name} sent {kind} to {inbox}: {state}, {error}"
                for kind, inbox, state, error in failed
            ] + [f"{self.name} received {kind} {uri}: {error}" for kind, uri, error in stopped]

        return await self.federation.db.read("failures", read)


class Network:
    """Creates nodes and settles the traffic between them."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.traffic = Traffic()
        self.nodes: list[FederatedNode] = []

    async def node(self, name: str, city: bool = False, **settings: str) -> FederatedNode:
        port = free_port()
        data_dir = self.tmp_path / name
        init_node(data_dir, f"http://127.0.0.1:{port}", name.title())
        env = {"QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true"}
        if city:
            env["QUARTIER_CITY_ENABLED"] = "true"
        env.update({f"QUARTIER_{k.upper()}": v for k, v in settings.items()})
        config = load_config(data_dir, env=env)
        app = create_app(config, trace_configs=[self.traffic.trace_config()])
        server = TestServer(app, host="127.0.0.1", port=port)
        client = TestClient(server)
        await client.start_server()
        await _without_background_reporting(app)
        node = FederatedNode(name, port, data_dir, server, client, env)
        self.nodes.append(node)
        return node

    async def restart(self, node: FederatedNode) -> None:
        """Stop the node's app and start a new one on the same data and port (keys re-read)."""
        await node.client.close()
        config = load_config(node.data_dir, env=node.env)
        app = create_app(config, trace_configs=[self.traffic.trace_config()])
        node.server = TestServer(app, host="127.0.0.1", port=node.port)
        node.client = TestClient(node.server)
        await node.client.start_server()
        await _without_background_reporting(app)

    async def city_and_follower(self) -> tuple[FederatedNode, FederatedNode]:
        """The usual pair: Mons, a city node with a neighbourhood of its own (Centre), and
        Nimy, a neighbourhood node on another server whose follow the city accepted."""
        city = await self.node("mons", city=True)
        await city.register.create_neighbourhood("Centre")
        nimy = await self.node("nimy")
        await nimy.register.create_neighbourhood("Nimy")
        await city.peering.set_host_policy(nimy.host, "allow")
        await nimy.peering.follow_city(f"city@{city.host}", None)
        await self.settle()
        return city, nimy

    async def settle(self, rounds: int = 50, expect_failures: bool = False) -> None:
        """Process and deliver on every node until no node has anything left to do now.

        A failed delivery waits for its retry, and an activity whose processing failed is
        done with: either way nothing is left to do *now*, so settling alone would hide them.
        Unless the test expects failures (and then asserts which), any fails the test here,
        with what went wrong."""
        for _ in range(rounds):
            for node in self.nodes:
                await node.federation.settle()
            if not any([await node.pending_work() for node in self.nodes]):
                break
        else:
            raise AssertionError("the network did not settle")
        if not expect_failures:
            failures = [line for node in self.nodes for line in await node.failures()]
            assert not failures, "\n".join(["federation failed:", *failures])

    async def close(self) -> None:
        for node in self.nodes:
            await node.client.close()


async def _without_background_reporting(app) -> None:
    """Reports go when the test settles, not when the reporting loop's own timer says.

    An interim report goes at most once per `report_interval_minutes`. The background loop
    passes a second after a city message arrives, so on a slow run it could report halfway
    through a test's answers, and the interval would then hold back the report the test
    settles for. Delivery and processing keep their loops: settling only runs them sooner."""
    await app[REPORTING].stop()


@pytest.fixture
async def network(tmp_path: Path):
    net = Network(tmp_path)
    try:
        yield net
    finally:
        await net.close()
