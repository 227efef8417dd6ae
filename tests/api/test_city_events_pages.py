"""City events on one node: staff publish and follow the answers (counts, never names),
residents answer on their neighbourhood's page, anyone reads a public event; the JSON API;
views of city announcements counted once per resident."""

from __future__ import annotations

import re
import time

from icalendar import Calendar

from node.api.app_keys import (
    ANNOUNCEMENTS,
    CITY_BROADCAST,
    CITY_EVENTS,
    FEDERATION,
    REPORTING,
)
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.services.announcements import AnnouncementDraft
from node.services.city_broadcast import Targets
from node.services.city_events import CityEvents, EventDraft
from node.services.reporting import Reporting
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from tests.api.test_json_api import Api
from tests.conftest import ENGLISH, Node

RESIDENT_NAME = "Zoé Vandermeersch"
PROBLEM_JSON = "application/problem+json"


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    return Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))


def in_days(days: float, hour: int = 18) -> str:
    """A datetime-local value, as a browser sends it."""
    moment = time.localtime(time.time() + days * 86400)
    return time.strftime(f"%Y-%m-%dT{hour:02d}:30", moment)


async def message_id_of(node: Node, neighbourhood_id: int, object_uri: str) -> int:
    messages = await node.client.app[FEDERATION].db.read(
        "list",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood_id,
        0,
        100,
    )
    return next(m.id for m in messages if m.object_uri == object_uri)


async def test_staff_form_shows_each_error_beside_its_field_and_keeps_what_was_typed(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    await node.register.create_neighbourhood("Centre")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.login("staff@mons.example")

    response = await node.post_form(
        "/city/events",
        {
            "title": "Co",
            "description": "Let us draw the **new park** together.",
            "location": "",
            "starts_at": "next tuesday",
            "ends_at": "",
            "workshop": "on",
        },
    )
    assert response.status == 400
    page = await response.text()
    assert 'id="field-title-error"' in page and "title of 3 to 200 characters" in page
    assert 'id="field-location-error"' in page and "Say where it takes place" in page
    assert 'id="field-starts_at-error"' in page and "start as a date and a time" in page
    assert 'id="field-targets-error"' in page and "Choose at least one neighbourhood" in page
    assert 'href="#field-title"' in page  # the error summary links to the field
    assert "Let us draw the **new park** together." in page  # nothing typed is lost
    assert 'id="field-workshop" name="workshop" checked' in page

    # An end before the start, and a start in the past, are explained too
    response = await node.post_form(
        "/city/events",
        {
            "title": "Park workshop",
            "location": "Town hall",
            "starts_at": in_days(-1),
            "ends_at": in_days(-2),
            "target": "all",
        },
    )
    page = await response.text()
    assert response.status == 400
    assert "The start must be in the future." in page
    assert "The end must come after the start." in page
    assert "Nothing published yet." in page


async def test_resident_answers_and_staff_see_counts_but_never_names(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    zoe = await node.accounts.create_user(
        "zoe@example.org", RESIDENT_NAME, Role.RESIDENT, "centre", "correct horse battery"
    )
    await node.user(Role.RESIDENT, email="nimy@example.org", neighbourhood="nimy")

    # Staff publish a workshop to Centre only
    await node.login("staff@mons.example")
    response = await node.post_form(
        "/city/events",
        {
            "title": "Draw the new park",
            "description": "Bring your ideas for the **park**.",
            "location": "Town hall, room 2",
            "starts_at": in_days(7),
            "ends_at": in_days(7, hour=21),
            "workshop": "on",
            "target": f"local:{centre.id}",
            "public": "on",
        },
    )
    assert response.status == 303
    detail_path = response.headers["Location"].split("?")[0]
    assert re.fullmatch(r"/city/events/\d+", detail_path)
    ((event, _),) = await node.client.app[CITY_EVENTS].list_events()
    message_id = await message_id_of(node, centre.id, event.object_uri)

    # Zoé, in Centre, sees it and says she is going
    await node.login("zoe@example.org")
    page = await (await node.client.get(f"/city-events/{message_id}")).text()
    assert "Draw the new park" in page and "Town hall, room 2" in page
    assert "<strong>park</strong>" in page
    assert "0 neighbours are going" in page
    response = await node.post_form(f"/city-events/{message_id}/rsvp", {"answer": "going"})
    assert response.status == 303
    page = await (await node.client.get(f"/city-events/{message_id}")).text()
    assert "1 neighbour is going" in page
    assert 'aria-pressed="true">I&#39;m going' in page or 'aria-pressed="true">I\'m going' in page

    # A nonsense answer is explained, not a 500
    response = await node.post_form(f"/city-events/{message_id}/rsvp", {"answer": "perhaps"})
    assert response.status == 400
    assert "Choose going, maybe or not going." in await response.text()

    # A resident of Nimy, where it was not sent, cannot open it
    await node.login("nimy@example.org")
    assert (await node.client.get(f"/city-events/{message_id}")).status == 404
    response = await node.post_form(f"/city-events/{message_id}/rsvp", {"answer": "going"})
    assert response.status == 404

    # The neighbourhood reports; staff see the number, not who
    await node.client.app[REPORTING].drain()
    await node.login("staff@mons.example")
    page = await (await node.client.get(detail_path)).text()
    assert "Centre" in page
    assert re.search(r"<strong>1</strong> going", page)
    assert '<svg class="chart"' in page and '<table class="table">' in page
    assert RESIDENT_NAME not in page and "zoe@example.org" not in page
    listing = await (await node.client.get("/city/events")).text()
    assert "Draw the new park" in listing and RESIDENT_NAME not in listing

    # Zoé changes her mind: not going takes her answer back
    await node.login("zoe@example.org")
    await node.post_form(f"/city-events/{message_id}/rsvp", {"answer": "none"})
    shown = await node.client.app[CITY_EVENTS].for_resident(zoe, message_id)
    assert shown.my_answer.value == "none" and shown.neighbourhood.going == 0


async def test_the_neighbourhood_events_page_lists_the_citys_upcoming_events(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    nimy = await node.register.create_neighbourhood("Nimy")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.user(Role.RESIDENT, email="anne@example.org", neighbourhood="centre")
    service = node.client.app[CITY_EVENTS]
    soon = int(time.time()) + 2 * 86400

    async def publish(title: str, starts_at: int, neighbourhood_id: int):
        draft = EventDraft(
            title=title,
            location="Town hall",
            starts_at=starts_at,
            ends_at=starts_at + 7200,
            targets=Targets(local=(neighbourhood_id,)),
        )
        return await service.create(staff, draft)

    later = await publish("Public meeting on road works", soon + 86400, centre.id)
    first = await publish("Repair café", soon, centre.id)
    await publish("Nimy's own fair", soon, nimy.id)
    withdrawn = await publish("Cancelled concert", soon, centre.id)
    await service.withdraw(staff, withdrawn.id)

    await node.login("anne@example.org")
    page = await (await node.client.get("/events")).text()

    first_id = await message_id_of(node, centre.id, first.object_uri)
    later_id = await message_id_of(node, centre.id, later.object_uri)
    assert f'href="/city-events/{first_id}">Repair café</a>' in page
    assert f'href="/city-events/{later_id}">Public meeting on road works</a>' in page
    assert page.index("Repair café") < page.index("Public meeting on road works")
    assert "From Mons" in page
    assert "Nimy&#39;s own fair" not in page and "Cancelled concert" not in page
    assert "No upcoming events" not in page

    # And in the calendar file below the list, the same events, each linking to its page
    ics = await (await node.client.get("/neighbourhood/calendar.ics")).read()
    entries = {str(e["summary"]): str(e["url"]) for e in Calendar.from_ical(ics).walk("VEVENT")}
    assert entries == {
        "Repair café": f"http://127.0.0.1:8080/city-events/{first_id}",
        "Public meeting on road works": f"http://127.0.0.1:8080/city-events/{later_id}",
    }

    # A month later, both are over and the list is empty
    app = node.client.app
    a_month_later = CityEvents(
        app[FEDERATION].db,
        node.config,
        app[CITY_BROADCAST],
        app[REPORTING],
        app[FEDERATION],
        clock=lambda: time.time() + 30 * 86400,
    )
    anne = await node.accounts.user_by_email("anne@example.org")
    assert await a_month_later.upcoming_for_resident(anne) == []


async def test_public_page_and_withdrawal(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.user(Role.RESIDENT, email="r@example.org", neighbourhood="centre")
    service = node.client.app[CITY_EVENTS]
    start = int(time.time()) + 86400
    public = await service.create(
        staff,
        EventDraft(
            title="Neighbours' picnic",
            location="Parc du Waux-Hall",
            starts_at=start,
            targets=Targets(everywhere=True),
            public=True,
        ),
    )
    private = await service.create(
        staff,
        EventDraft(
            title="Residents-only walk",
            location="Grand-Place",
            starts_at=start,
            targets=Targets(everywhere=True),
            public=False,
        ),
    )

    # Anyone (e.g. from Mastodon) reads the public one; the other is not there
    response = await node.client.get(f"/public/events/{public.uuid}")
    assert response.status == 200
    assert "Parc du Waux-Hall" in await response.text()
    assert (await node.client.get(f"/public/events/{private.uuid}")).status == 404

    # Withdrawn: gone from the public page; residents see it was withdrawn and cannot answer
    await node.login("staff@mons.example")
    response = await node.post_form(f"/city/events/{public.id}/withdraw", {})
    assert response.status == 303
    assert (
        "Withdrawn everywhere."
        in await (await node.client.get(response.headers["Location"])).text()
    )
    node.client.session.cookie_jar.clear()
    assert (await node.client.get(f"/public/events/{public.uuid}")).status == 404
    message_id = await node.client.app[FEDERATION].db.read(
        "get", city_messages_store.get_city_object_by_uri, public.object_uri
    )
    await node.login("r@example.org")
    page = await (await node.client.get(f"/city-events/{message_id.message_id}")).text()
    assert "The city withdrew this event." in page and "Are you coming?" not in page
    assert centre.id  # the event had gone to Centre


async def test_final_report_once_the_event_is_over_and_odd_remote_figures(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    app = node.client.app
    start = int(time.time()) + 3600
    event = await app[CITY_EVENTS].create(
        staff,
        EventDraft(
            title="Street party",
            location="Rue d'Havré",
            starts_at=start,
            ends_at=start + 3600,
            targets=Targets(local=(centre.id,)),
        ),
    )
    # Nobody answered: nothing to report while it is on...
    await app[REPORTING].drain()
    assert (await app[CITY_EVENTS].detail(event.id)).attendance.rows == ()

    # ...and one final report of zero once it is over (a reporting pass run a day later)
    later = Reporting(app[FEDERATION].db, node.config, app[FEDERATION], clock=lambda: start + 86400)
    CityEvents(app[FEDERATION].db, node.config, app[CITY_BROADCAST], later, app[FEDERATION])
    await later.drain()
    (row,) = (await app[CITY_EVENTS].detail(event.id)).attendance.rows
    assert (row.neighbourhood_name, row.going, row.maybe, row.final) == ("Centre", 0, 0, True)

    # A remote neighbourhood that sends nonsense counts for nothing, and the page still shows
    def odd(conn):
        city_reports_store.put_city_report(
            conn,
            subject_uri=event.object_uri,
            kind="event_attendance",
            neighbourhood_uri="https://elsewhere.example/ap/n/odd",
            neighbourhood_name="Odd",
            host="elsewhere.example",
            sequence=1,
            final=False,
            figures={"going": "lots", "maybe": -3},
            now=int(time.time()),
        )

    await app[FEDERATION].db.write("odd", odd)
    await node.login("staff@mons.example")
    response = await node.client.get(f"/city/events/{event.id}")
    assert response.status == 200
    assert re.search(r"<strong>0</strong> going", await response.text())


async def test_announcement_views_are_counted_once_per_resident(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    nimy = await node.register.create_neighbourhood("Nimy")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    anne = await node.user(Role.RESIDENT, email="anne@example.org", neighbourhood="centre")
    bert = await node.user(Role.RESIDENT, email="bert@example.org", neighbourhood="centre")
    carl = await node.user(Role.RESIDENT, email="carl@example.org", neighbourhood="nimy")
    app = node.client.app
    announcement = await app[ANNOUNCEMENTS].publish(
        staff,
        AnnouncementDraft(title="Water cut", body="Tomorrow 9-12.", all_neighbourhoods=True),
    )
    service = app[CITY_EVENTS]
    in_centre = await message_id_of(node, centre.id, announcement.object_uri)
    assert await message_id_of(node, nimy.id, announcement.object_uri) == in_centre

    assert await service.record_view(anne, in_centre) is True
    assert await service.record_view(anne, in_centre) is False  # the same reader again
    assert await service.record_view(bert, in_centre) is True
    assert await service.record_view(carl, in_centre) is True
    assert await service.record_view(staff, in_centre) is False  # staff are not readers
    assert await service.record_view(carl, in_centre + 1000) is False  # no such message

    await app[REPORTING].drain()
    views = await service.announcement_views(announcement.object_uri)
    assert views.total == 3
    assert {(r.neighbourhood_name, r.views) for r in views.rows} == {("Centre", 2), ("Nimy", 1)}


async def test_read_counts_become_final_90_days_after_publication(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    anne = await node.user(Role.RESIDENT, email="anne@example.org", neighbourhood="centre")
    bert = await node.user(Role.RESIDENT, email="bert@example.org", neighbourhood="centre")
    app = node.client.app
    announcement = await app[ANNOUNCEMENTS].publish(
        staff,
        AnnouncementDraft(
            title="Recycling park hours", body="Open on Sundays now.", all_neighbourhoods=True
        ),
    )
    message = await message_id_of(node, centre.id, announcement.object_uri)
    service = app[CITY_EVENTS]
    assert await service.record_view(anne, message) is True

    def reporting_at(moment: float) -> Reporting:
        """The neighbourhood's reporting pass as it runs at another time."""
        reporting = Reporting(
            app[FEDERATION].db, node.config, app[FEDERATION], clock=lambda: moment
        )
        CityEvents(app[FEDERATION].db, node.config, app[CITY_BROADCAST], reporting, app[FEDERATION])
        return reporting

    def state(conn):
        return city_reports_store.get_report_state(
            conn, announcement.object_uri, "announcement_views", centre.id
        )

    # 89 days on, the count is still interim.
    await reporting_at(time.time() + 89 * 86400).drain()
    assert not (await app[FEDERATION].db.read("state", state)).final
    assert (await service.announcement_views(announcement.object_uri)).total == 1

    # At 91 days a late reader is still counted, in a final report...
    assert await service.record_view(bert, message) is True
    await reporting_at(time.time() + 91 * 86400).drain()
    final = await app[FEDERATION].db.read("state", state)
    assert final.final
    assert (await service.announcement_views(announcement.object_uri)).total == 2

    # ...after which the announcement is no longer walked: a later pass sends nothing.
    listed = await app[FEDERATION].db.read(
        "subjects",
        city_reports_store.list_open_report_subjects,
        "announcement",
        "announcement_views",
    )
    assert announcement.object_uri not in {subject.subject_uri for subject, _ in listed}
    await reporting_at(time.time() + 200 * 86400).drain()
    assert await app[FEDERATION].db.read("state", state) == final


async def test_json_api_publish_answer_and_read_counts(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    resident = await node.user(Role.RESIDENT, email="r@example.org", neighbourhood="centre")
    openapi = await (await node.client.get("/api/v1/openapi.json")).json()
    api = Api(node, openapi, await node.api_token(staff))
    as_resident = Api(node, openapi, await node.api_token(resident))

    # Bad input is a problem naming the fields
    response = await api.call(
        "POST",
        "/api/v1/city/events",
        422,
        json={"title": "Park", "location": "Hall", "starts_at": "soon", "neighbourhoods": []},
    )
    assert response.content_type == PROBLEM_JSON
    problem = await response.json()
    assert "starts_at" in str(problem) and "targets" in str(problem)

    created = await api.call(
        "POST",
        "/api/v1/city/events",
        201,
        json={
            "title": "Park workshop",
            "description": "Ideas welcome.",
            "location": "Town hall",
            "starts_at": int(time.time()) + 86400,
            "workshop": True,
            "neighbourhoods": [centre.id],
            "public": False,
        },
    )
    event = await created.json()
    assert event["workshop"] is True and event["going"] == 0
    listed = await (await api.call("GET", "/api/v1/city/events", 200)).json()
    assert [e["title"] for e in listed] == ["Park workshop"]

    message_id = await message_id_of(node, centre.id, event["object_uri"])
    answered = await as_resident.call(
        "PUT",
        "/api/v1/city-events/{id}/rsvp",
        200,
        ids={"id": message_id},
        json={"answer": "maybe"},
    )
    assert await answered.json() == {
        "answer": "maybe",
        "neighbourhood_going": 0,
        "neighbourhood_maybe": 1,
    }
    await as_resident.call(
        "PUT", "/api/v1/city-events/{id}/rsvp", 422, ids={"id": message_id}, json={"answer": "x"}
    )
    # Staff cannot answer, residents cannot read the dashboard
    await api.call(
        "PUT",
        "/api/v1/city-events/{id}/rsvp",
        403,
        ids={"id": message_id},
        json={"answer": "going"},
    )
    await as_resident.call("GET", "/api/v1/city/events", 403)

    await node.client.app[REPORTING].drain()
    detail = await (
        await api.call("GET", "/api/v1/city/events/{id}", 200, ids={"id": event["id"]})
    ).json()
    assert (detail["going"], detail["maybe"]) == (0, 1)
    assert detail["per_neighbourhood"][0]["neighbourhood"] == "Centre"
    assert "r@example.org" not in str(detail) and resident.display_name not in str(detail)

    await api.call("DELETE", "/api/v1/city/events/{id}", 204, ids={"id": event["id"]})
    detail = await (
        await api.call("GET", "/api/v1/city/events/{id}", 200, ids={"id": event["id"]})
    ).json()
    assert detail["withdrawn_at"] is not None
    await api.call("GET", "/api/v1/city/events/{id}", 404, ids={"id": 999999})
    assert api.violations == [] and as_resident.violations == []
