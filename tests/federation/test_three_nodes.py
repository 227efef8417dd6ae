"""A city node and two neighbourhood nodes on 127.0.0.1, real HTTP, real keys: follows,
signed announcements to one and then both, each received once; policy for the others."""

from __future__ import annotations

from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.storage import city_messages as city_messages_store
from node.storage import inbox as inbox_store
from tests.federation.conftest import FederatedNode, Network

PASSWORD = "correct horse battery"


async def city_messages_of(node: FederatedNode, slug: str) -> list:
    neighbourhood = next(n for n in await node.register.list_neighbourhoods() if n.slug == slug)
    return await node.federation.db.read(
        "list",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood.id,
        0,
        100,
    )


async def setup_federation(network: Network):
    city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")
    nimy = await network.node("nimy")
    await nimy.register.create_neighbourhood("Nimy")
    havre = await network.node("havre")
    await havre.register.create_neighbourhood("Havré")
    # The city trusts Nimy's server outright; Havré's follow waits for an admin.
    await city.peering.set_host_policy(nimy.host, "allow")
    await nimy.peering.follow_city(f"city@{city.host}", None)
    await havre.peering.follow_city(f"city@{city.host}", None)
    await network.settle()
    return city, nimy, havre


async def test_neighbourhood_nodes_follow_the_city_with_allowlist_or_approval(network):
    city, nimy, havre = await setup_federation(network)

    overview = await city.peering.overview()
    followers = {f.follow.remote_actor: f.follow.state for f in overview.followers}
    pending = {f.follow.remote_actor: f for f in overview.pending_requests}
    assert followers == {nimy.group_uri("nimy"): "accepted"}
    assert list(pending) == [havre.group_uri("havre")]

    # The admin approves Havré; the Accept reaches Havré's node
    await city.peering.decide(pending[havre.group_uri("havre")].follow.id, approve=True)
    await network.settle()
    havre_view = await havre.peering.overview()
    assert [f.follow.state for f in havre_view.following] == ["accepted"]
    nimy_view = await nimy.peering.overview()
    assert [f.follow.state for f in nimy_view.following] == ["accepted"]


async def test_city_announcement_reaches_one_then_both_neighbourhood_nodes_once(network):
    city, nimy, havre = await setup_federation(network)
    pending = (await city.peering.overview()).pending_requests
    await city.peering.decide(pending[0].follow.id, approve=True)
    await network.settle()
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )

    # To Nimy only
    await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="Road works on Rue de Nimy",
            body="From **Monday**, the street is closed between 8:00 and 17:00.",
            urgent=True,
            remote_neighbourhoods=(nimy.group_uri("nimy"),),
            public=False,
        ),
    )
    await network.settle()
    nimy_messages = await city_messages_of(nimy, "nimy")
    assert [m.title for m in nimy_messages] == ["Road works on Rue de Nimy"]
    assert nimy_messages[0].urgent
    assert "<strong>Monday</strong>" in nimy_messages[0].content_html
    assert await city_messages_of(havre, "havre") == []

    # To all neighbourhoods, local and remote
    second = await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="Neighbours' day on 30 May",
            body="Every neighbourhood celebrates.",
            all_neighbourhoods=True,
        ),
    )
    await network.settle()
    for node, slug in ((nimy, "nimy"), (havre, "havre"), (city, "centre")):
        titles = [m.title for m in await city_messages_of(node, slug)]
        assert titles.count("Neighbours' day on 30 May") == 1, (slug, titles)
    # Received once: one inbox item per activity on each remote node
    for node in (nimy, havre):
        items = await node.federation.db.read(
            "count", inbox_store.list_unprocessed_inbox_items, 1000
        )
        assert items == []
        copies = await node.federation.db.read(
            "count", city_messages_store.count_city_messages, second.object_uri
        )
        assert copies == 1

    # An edit reaches the same neighbourhoods as an Update; a withdrawal as a Delete
    await city.announcements.edit(
        staff, second.id, "Neighbours' day on 31 May", "Moved by a day.", False, False, None
    )
    await network.settle()
    for node, slug in ((nimy, "nimy"), (havre, "havre"), (city, "centre")):
        titles = [m.title for m in await city_messages_of(node, slug)]
        assert "Neighbours' day on 31 May" in titles and "Neighbours' day on 30 May" not in titles

    # Residents see it on their neighbourhood's node
    resident = await nimy.accounts.create_user(
        "anne@nimy.example", "Anne", Role.RESIDENT, "nimy", PASSWORD
    )
    shown = await nimy.announcements.for_resident(resident)
    assert {m.title for m in shown} == {"Road works on Rue de Nimy", "Neighbours' day on 31 May"}

    await city.announcements.withdraw(staff, second.id)
    await network.settle()
    for node, slug in ((nimy, "nimy"), (havre, "havre"), (city, "centre")):
        titles = [m.title for m in await city_messages_of(node, slug)]
        assert "Neighbours' day on 31 May" not in titles


async def test_unapproved_node_stays_pending_and_gets_nothing(network):
    city, _nimy, havre = await setup_federation(network)
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    # Havré was never approved
    await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="For everyone",
            body="Hello",
            all_neighbourhoods=True,
        ),
    )
    await network.settle()
    assert await city_messages_of(havre, "havre") == []
    pending = (await city.peering.overview()).pending_requests
    assert [p.follow.state for p in pending] == ["pending"]


async def test_blocked_node_deliveries_are_refused(network):
    city, _nimy, havre = await setup_federation(network)
    await city.peering.set_host_policy(havre.host, "block")
    received_before = await city.federation.db.read("count", inbox_store.count_inbox_items)

    # Havré asks again: the city's inbox refuses the delivery, and stores nothing
    await havre.peering.unfollow((await havre.peering.overview()).following[0].follow.id)
    await havre.peering.follow_city(f"city@{city.host}", None)
    await havre.federation.worker.drain()

    overview = await havre.peering.overview()
    dead = [d for d in overview.dead_letters if d.inbox.startswith(city.base_url)]
    assert {d.last_status for d in dead} == {403}
    assert {d.activity_type for d in dead} == {"Undo", "Follow"}
    assert await city.federation.db.read("count", inbox_store.count_inbox_items) == received_before
