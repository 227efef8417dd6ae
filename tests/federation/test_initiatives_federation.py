"""A citizen initiative crosses the federation: residents of a neighbourhood on its own node
support it; past the threshold its Group sends the city the text and a count, updates the count,
and receives the city's answer. No name ever crosses. Real HTTP, real signatures."""

from __future__ import annotations

from gettext import NullTranslations
from zoneinfo import ZoneInfo

from node.api.app_keys import INITIATIVES, NOTIFICATIONS
from node.i18n import Translator
from node.models import Role
from node.services.notification_texts import describe
from tests.federation.conftest import Network

PASSWORD = "correct horse battery"


async def test_an_initiative_reaches_the_city_with_a_count_and_the_answer_comes_back(
    network: Network,
):
    city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")
    nimy = await network.node("nimy", participation_initiative_threshold="2")
    await nimy.register.create_neighbourhood("Nimy")
    await city.peering.set_host_policy(nimy.host, "allow")
    await nimy.peering.follow_city(f"city@{city.host}", None)
    await network.settle()

    people = [
        await nimy.accounts.create_user(
            f"{name.lower()}.secret@nimy.example", f"{name} Secret", Role.RESIDENT, "nimy", PASSWORD
        )
        for name in ("Amandine", "Benoit", "Chloe")
    ]
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    service = nimy.app[INITIATIVES]

    # Given Amandine proposes: below the threshold, nothing leaves Nimy
    view = await service.propose(
        people[0], "A pedestrian crossing at school", "Children cross the **N6** every morning."
    )
    await network.settle()
    assert await city.app[INITIATIVES].city_list() == []
    assert not network.traffic.contains("pedestrian crossing")

    # When Benoit supports it, the city receives the text and the count
    await service.support(people[1], view.initiative.id)
    await network.settle()
    (received,) = await city.app[INITIATIVES].city_list()
    assert received.title == "A pedestrian crossing at school"
    assert "<strong>N6</strong>" in received.body_html
    assert received.supporters == 2 and received.neighbourhood_name == "Nimy"
    assert received.neighbourhood_uri == nimy.group_uri("nimy")

    # And a third supporter updates the count there
    await service.support(people[2], view.initiative.id)
    await network.settle()
    (received,) = await city.app[INITIATIVES].city_list()
    assert received.supporters == 3

    # The initiative is sent, not published: another server cannot fetch it
    fetched = await city.client.session.get(
        received.object_uri, headers={"Accept": "application/activity+json"}
    )
    assert fetched.status == 404

    # When the city answers, the answer reaches Nimy and closes support
    await city.app[INITIATIVES].answer(staff, received.id, "We will paint it in **April**.")
    await network.settle()
    shown = await service.get_for(people[0], view.initiative.id)
    assert shown.initiative.status == "answered"
    assert "<strong>April</strong>" in (shown.initiative.answer_html or "")
    assert not shown.initiative.open_for_support

    # And its author and supporters are told, on Nimy, with a link to it; nobody else is
    bystander = await nimy.accounts.create_user(
        "dora@nimy.example", "Dora", Role.RESIDENT, "nimy", PASSWORD
    )
    for person in people:
        (told,) = await nimy.app[NOTIFICATIONS].recent(person)
        text = describe(told, Translator("en", NullTranslations(), ZoneInfo("UTC")))
        assert text.sentence == "The city answered the initiative 'A pedestrian crossing at school'"
        assert text.path == f"/initiatives/{view.initiative.id}"
    assert await nimy.app[NOTIFICATIONS].recent(bystander) == []

    # And no byte between the nodes names a resident
    assert network.traffic.contains("pedestrian crossing")  # the search does find things
    for person in people:
        assert not network.traffic.contains(person.display_name)
        assert not network.traffic.contains(person.email)
        assert not network.traffic.contains(person.display_name.split()[0])


async def test_a_city_ignores_an_initiative_from_a_neighbourhood_that_does_not_follow_it(
    network: Network,
):
    city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")
    stranger = await network.node("stranger", participation_initiative_threshold="1")
    await stranger.register.create_neighbourhood("Elsewhere")
    await stranger.peering.follow_city(f"city@{city.host}", None)  # never approved
    await network.settle()
    # A node that wrongly believes it was accepted (or tampers with its own database)
    await stranger.federation.db.write(
        "pretend_accepted",
        lambda conn: conn.execute("UPDATE follows SET state = 'accepted'"),
    )
    person = await stranger.accounts.create_user(
        "eve@elsewhere.example", "Eve", Role.RESIDENT, "elsewhere", PASSWORD
    )

    await stranger.app[INITIATIVES].propose(
        person, "Unwanted proposal text", "This should never reach the city's list."
    )
    await network.settle(expect_failures=True)

    assert network.traffic.contains("Unwanted proposal text")  # it was sent
    refused = await stranger.failures()
    assert refused and all("sent Create" in line and "HTTP 403" in line for line in refused)
    assert await city.app[INITIATIVES].city_list() == []
