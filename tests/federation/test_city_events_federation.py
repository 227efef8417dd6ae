"""A city event across real nodes: the city hosts one neighbourhood and a neighbourhood node
follows it. Residents answer on their own node; the city gets counts per neighbourhood and
in total, and no byte on the wire names a resident. Views of an announcement likewise."""

from __future__ import annotations

import time

from node.api.app_keys import CITY_EVENTS
from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.services.city_broadcast import Targets
from node.services.city_events import EventDraft
from node.storage import city_messages as city_messages_store
from tests.conftest import Node
from tests.federation.conftest import FederatedNode

PASSWORD = "correct horse battery"
REMOTE_NAME = "Océane Dubrulle-Quintart"
REMOTE_EMAIL = "oceane.quintart@nimy.example"


async def message_id(node: FederatedNode, slug: str, object_uri: str) -> int:
    neighbourhood = next(n for n in await node.register.list_neighbourhoods() if n.slug == slug)
    messages = await node.federation.db.read(
        "list",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood.id,
        0,
        100,
    )
    return next(m.id for m in messages if m.object_uri == object_uri)


async def resident(node: FederatedNode, email: str, name: str, slug: str):
    return await node.accounts.create_user(email, name, Role.RESIDENT, slug, PASSWORD)


async def test_rsvp_counts_reach_the_city_per_neighbourhood_and_no_name_travels(network):
    city, nimy = await network.city_and_follower()
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    (remote,) = await city.app[CITY_EVENTS].remote_neighbourhoods()
    assert remote.uri == nimy.group_uri("nimy")

    # The city publishes a workshop to every neighbourhood, local and remote
    start = int(time.time()) + 7 * 86400
    event = await city.app[CITY_EVENTS].create(
        staff,
        EventDraft(
            title="Co-design the Grand-Place",
            description="Bring ideas and **drawings**.",
            location="Town hall",
            starts_at=start,
            ends_at=start + 3 * 3600,
            workshop=True,
            targets=Targets(everywhere=True),
        ),
    )
    await network.settle()

    # Residents answer on their own node: 2 going + 1 maybe in Centre, 1 + 1 in Nimy
    centre_id = await message_id(city, "centre", event.object_uri)
    for i, answer in enumerate(("going", "going", "maybe")):
        someone = await resident(city, f"c{i}@mons.example", f"Centre {i}", "centre")
        await city.app[CITY_EVENTS].rsvp(someone, centre_id, answer)
    nimy_id = await message_id(nimy, "nimy", event.object_uri)
    await resident(nimy, REMOTE_EMAIL, REMOTE_NAME, "nimy")
    other = await resident(nimy, "n2@nimy.example", "Nimy 2", "nimy")
    await nimy.app[CITY_EVENTS].rsvp(other, nimy_id, "maybe")

    # Océane answers through her node's page, which shows the city's event as sent
    browser = Node(None, nimy.client)  # type: ignore[arg-type]
    await browser.login(REMOTE_EMAIL)
    page = await (await nimy.client.get(f"/city-events/{nimy_id}")).text()
    assert "Co-design the Grand-Place" in page and "<strong>drawings</strong>" in page
    response = await browser.post_form(f"/city-events/{nimy_id}/rsvp", {"answer": "going"})
    assert response.status == 303
    await network.settle()

    detail = await city.app[CITY_EVENTS].detail(event.id)
    per_neighbourhood = {
        (r.neighbourhood_name, r.host): (r.going, r.maybe) for r in detail.attendance.rows
    }
    assert per_neighbourhood == {("Centre", city.host): (2, 1), ("Nimy", nimy.host): (1, 1)}
    assert (detail.attendance.going, detail.attendance.maybe) == (3, 2)
    assert detail.attendance.targets == 2

    # Counts only on the wire: neither Océane's name nor her e-mail ever left Nimy's node
    assert network.traffic.contains("quartier:Report")
    assert not network.traffic.contains(REMOTE_NAME)
    assert not network.traffic.contains(REMOTE_EMAIL)
    assert not network.traffic.contains("Nimy 2")

    # Withdrawn by the city: Nimy's residents see it withdrawn and can no longer answer
    await city.app[CITY_EVENTS].withdraw(staff, event.id)
    await network.settle()
    shown = await nimy.app[CITY_EVENTS].for_resident(other, nimy_id)
    assert shown.withdrawn and shown.my_answer.value == "maybe"


async def test_views_of_an_announcement_are_reported_per_neighbourhood(network):
    city, nimy = await network.city_and_follower()
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    announcement = await city.announcements.publish(
        staff,
        AnnouncementDraft(
            title="Bin collection moves to Tuesday", body="From next week.", all_neighbourhoods=True
        ),
    )
    await network.settle()

    centre_id = await message_id(city, "centre", announcement.object_uri)
    nimy_id = await message_id(nimy, "nimy", announcement.object_uri)
    readers = [await resident(city, f"c{i}@mons.example", f"C {i}", "centre") for i in range(2)]
    for reader in readers + readers:  # opening it twice counts once
        await city.app[CITY_EVENTS].record_view(reader, centre_id)
    oceane = await resident(nimy, REMOTE_EMAIL, REMOTE_NAME, "nimy")
    assert await nimy.app[CITY_EVENTS].record_view(oceane, nimy_id)
    await network.settle()

    views = await city.app[CITY_EVENTS].announcement_views(announcement.object_uri)
    assert {(r.neighbourhood_name, r.host, r.views) for r in views.rows} == {
        ("Centre", city.host, 2),
        ("Nimy", nimy.host, 1),
    }
    assert views.total == 3
    assert not network.traffic.contains(REMOTE_NAME)
    assert not network.traffic.contains(REMOTE_EMAIL)
