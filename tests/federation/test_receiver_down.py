"""A neighbourhood node is down for an hour while the city announces, edits and withdraws;
then it comes back. On a simulated clock, the city's delivery worker retries with its real
backoff schedule: in the end the node has received everything, in the order the city sent
it, and nothing twice; another node that stayed up got the same, at once.

The down node is its own server, stopped, with its port held by a socket that never
listens, so the city's connections are refused as they would be by a machine that is off."""

from __future__ import annotations

import functools
import json
import socket
import time

import pytest

import node.app
from node.federation.runtime import Federation
from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.storage import city_messages as city_messages_store
from tests.federation.conftest import FederatedNode, Network

PASSWORD = "correct horse battery"
TICK = 15  # seconds of simulated time between two passes of the delivery worker
MINUTE = 60


class SimulatedClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def record_arrivals(node: FederatedNode, arrivals: list[tuple[str, bool]]) -> None:
    """Note every activity the node's inbox accepts: (id, whether it was a duplicate)."""
    inbox = node.federation.inbox
    receive = inbox.receive

    async def recording(url, headers, body):
        accepted = await receive(url, headers, body)
        arrivals.append((json.loads(body)["id"], accepted.duplicate))
        return accepted

    inbox.receive = recording  # type: ignore[method-assign]


async def neighbourhood_node(network: Network, name: str, city: FederatedNode) -> FederatedNode:
    node = await network.node(name)
    await node.register.create_neighbourhood(name.title())
    await city.peering.set_host_policy(node.host, "allow")
    await node.peering.follow_city(f"city@{city.host}", None)
    return node


async def sent_to(city: FederatedNode, target: FederatedNode) -> list[tuple[str, str, int]]:
    """(activity id, delivery state, attempts) of the city's announcements, edits and
    withdrawals queued for `target`, in the order the city created them."""

    def read(conn):
        rows = conn.execute(
            "SELECT a.uri, d.state, d.attempts FROM deliveries d"
            " JOIN activities a ON a.id = d.activity_id"
            " WHERE d.host = ? AND a.type IN ('Create', 'Update', 'Delete') ORDER BY a.id",
            (target.host,),
        ).fetchall()
        return [tuple(row) for row in rows]

    return await city.federation.db.read("sent_to", read)


async def titles_on(node: FederatedNode) -> set[str]:
    neighbourhood = (await node.register.list_neighbourhoods())[0]
    messages = await node.federation.db.read(
        "titles",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood.id,
        int(time.time()),
        100,
    )
    return {m.title for m in messages}


async def test_a_node_down_for_an_hour_gets_everything_once_and_in_order(
    network: Network, monkeypatch: pytest.MonkeyPatch
):
    # Given a city whose federation runs on a simulated clock, followed by two nodes
    clock = SimulatedClock()
    with monkeypatch.context() as patch:
        patch.setattr(node.app, "Federation", functools.partial(Federation, clock=clock))
        city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")
    nimy = await neighbourhood_node(network, "nimy", city)
    havre = await neighbourhood_node(network, "havre", city)
    await network.settle()
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    arrivals: dict[str, list[tuple[str, bool]]] = {"nimy": [], "havre": []}
    record_arrivals(nimy, arrivals["nimy"])
    record_arrivals(havre, arrivals["havre"])
    start = clock.now

    async def run_until(minute: float) -> None:
        """Let simulated time pass, the worker delivering whatever falls due."""
        end = start + minute * MINUTE
        while clock.now < end:
            clock.now = min(clock.now + TICK, end)
            await city.federation.worker.drain()

    async def announce(title: str) -> int:
        draft = AnnouncementDraft(title=title, body=f"{title}.", all_neighbourhoods=True)
        return (await city.announcements.publish(staff, draft)).id

    async def edit(announcement_id: int, title: str) -> None:
        await city.announcements.edit(
            staff, announcement_id, title, f"{title}.", False, False, None
        )

    # When Nimy's server goes down, its port refusing connections
    await nimy.client.close()
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past its closed connections
    held.bind(("127.0.0.1", nimy.port))
    try:
        # ... and for an hour the city announces, edits and withdraws
        storm = await announce("Storm warning")
        await run_until(10)
        await edit(storm, "Storm warning: stay inside")
        await run_until(20)
        market = await announce("Flea market on Sunday")
        await run_until(40)
        await city.announcements.withdraw(staff, market)
        await run_until(55)
        water = await announce("Water cut on Tuesday")
        await run_until(58)
        await edit(water, "Water cut on Tuesday, 9:00 to 12:00")
        await run_until(60)
    finally:
        held.close()

    # Havré, up all along, has had everything at once
    expected = [uri for uri, _, _ in await sent_to(city, havre)]
    assert len(expected) == 6
    assert arrivals["havre"] == [(uri, False) for uri in expected]
    # Nimy got nothing, and the city kept trying
    assert arrivals["nimy"] == []
    assert all(state == "pending" for _, state, _ in await sent_to(city, nimy))

    # Then Nimy comes back on the same port
    await network.restart(nimy)
    record_arrivals(nimy, arrivals["nimy"])
    minute = 60
    while any(state == "pending" for _, state, _ in await sent_to(city, nimy)):
        minute += 1
        assert minute < 60 + 6 * 60, "the city never delivered to Nimy again"
        await run_until(minute)
    await network.settle()

    # Everything arrived, in the order the city sent it, and once
    sent = await sent_to(city, nimy)
    assert [state for _, state, _ in sent] == ["delivered"] * 6
    assert sent[0][2] > 5  # the first delivery was retried through the hour
    assert arrivals["nimy"] == [(uri, False) for uri, _, _ in sent]
    assert [uri for uri, _, _ in sent] == expected
    # ... so Nimy's residents see what Havré's see: the edits, and not the withdrawn market
    assert await titles_on(nimy) == await titles_on(havre)
    assert await titles_on(nimy) == {
        "Storm warning: stay inside",
        "Water cut on Tuesday, 9:00 to 12:00",
    }
