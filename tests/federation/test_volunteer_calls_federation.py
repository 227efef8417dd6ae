"""A call for volunteers crosses the federation: the city's node sends it to a neighbourhood
on another node, whose volunteers are notified there and answer there; the city gets the
count and only the contact a volunteer chose to share. Real HTTP, real signatures."""

from __future__ import annotations

from node.api.app_keys import HELPERS, NOTIFICATIONS, VOLUNTEER_CALLS
from node.models import Role
from node.services.city_broadcast import Targets
from node.services.volunteer_calls import VolunteerCallDraft
from node.storage import city_messages as city_messages_store
from tests.federation.conftest import FederatedNode, Network

PASSWORD = "correct horse battery"


async def volunteer(node: FederatedNode, email: str, name: str, slug: str):
    user = await node.accounts.create_user(email, name, Role.RESIDENT, slug, PASSWORD)
    await node.app[HELPERS].register(user, [], "", volunteer=True)
    return user


async def call_message_id(node: FederatedNode, slug: str) -> int:
    neighbourhood = next(n for n in await node.register.list_neighbourhoods() if n.slug == slug)
    messages = await node.federation.db.read(
        "list",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood.id,
        0,
        100,
    )
    return next(m.id for m in messages if m.kind == "volunteer_call")


async def test_remote_volunteers_are_notified_and_only_a_shared_contact_reaches_the_city(
    network: Network,
):
    city, nimy = await network.city_and_follower()

    anne = await volunteer(nimy, "anne@nimy.example", "Anne Partage", "nimy")
    bernard = await volunteer(nimy, "bernard.discret@nimy.example", "Bernard Discret", "nimy")
    neighbour = await nimy.accounts.create_user(
        "paul@nimy.example", "Paul", Role.RESIDENT, "nimy", PASSWORD
    )
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )

    # Given the city sends a call to Nimy, on the other node
    call = await city.app[VOLUNTEER_CALLS].publish(
        staff,
        VolunteerCallDraft(
            title="Help at the flood relief centre",
            description="Sorting donations, **two hours** each.",
            targets=Targets(remote=(nimy.group_uri("nimy"),)),
            needed=10,
        ),
    )
    await network.settle()

    # Then Nimy's volunteers are notified on their own node, once, and nobody else
    notifications = nimy.app[NOTIFICATIONS]
    for person, expected in ((anne, 1), (bernard, 1), (neighbour, 0)):
        items = await notifications.recent(person, mark_read=False)
        assert [n.kind for n in items] == ["volunteer_call"] * expected
    await network.settle()
    assert len(await notifications.recent(anne, mark_read=False)) == 1

    # When Anne answers and shares her contact, and Bernard answers without sharing
    message_id = await call_message_id(nimy, "nimy")
    anne_headers = {
        "Authorization": f"Bearer {(await nimy.accounts.create_api_token(anne, 't'))[1]}"
    }
    bernard_headers = {
        "Authorization": f"Bearer {(await nimy.accounts.create_api_token(bernard, 't'))[1]}"
    }
    answered = await nimy.client.put(
        f"/api/v1/volunteer-calls/{message_id}/answer",
        json={
            "share_contact": True,
            "contact_name": "Anne Partage",
            "contact_details": "anne.shares@nimy.example",
            "message": "Weekends only",
        },
        headers=anne_headers,
    )
    assert answered.status == 200, await answered.text()
    answered = await nimy.client.put(
        f"/api/v1/volunteer-calls/{message_id}/answer",
        json={"share_contact": False, "message": "Bernard's private note"},
        headers=bernard_headers,
    )
    assert answered.status == 200, await answered.text()
    await network.settle()

    # Then the city sees two answers from Nimy and exactly one contact
    results = await city.app[VOLUNTEER_CALLS].results(call.id)
    assert results.answers == 2
    (row,) = results.neighbourhoods
    assert row.name == "Nimy" and row.answers == 2
    assert [(c.name, c.contact, c.message) for c in row.contacts] == [
        ("Anne Partage", "anne.shares@nimy.example", "Weekends only")
    ]
    staff_headers = {
        "Authorization": f"Bearer {(await city.accounts.create_api_token(staff, 't'))[1]}"
    }
    api = await city.client.get(f"/api/v1/city/volunteer-calls/{call.id}", headers=staff_headers)
    raw = await api.text()
    assert "anne.shares@nimy.example" in raw
    for secret in ("Bernard", "bernard.discret@nimy.example", "private note"):
        assert secret not in raw

    # And no byte between the nodes names the volunteer who did not share
    assert network.traffic.contains("anne.shares@nimy.example")  # the search does find things
    for secret in (
        "Bernard Discret",
        "bernard.discret@nimy.example",
        "Bernard's private note",
        "anne@nimy.example",  # Anne's account e-mail: she typed another address to share
    ):
        assert not network.traffic.contains(secret), secret
