"""Residents' events: announcing, answering, the calendar page and iCalendar feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar

from tests.api.browser import field_errors
from tests.api.posts_support import neighbourhoods, signed_in, write_post


def _events_in(ics: bytes) -> list:
    return [c for c in Calendar.from_ical(ics).walk() if c.name == "VEVENT"]


async def test_an_event_from_announcement_to_calendar(node, browsers):
    # Given Alice announces a street party (local time, Brussels) and Bob and Carla see it
    place = await neighbourhoods(node)
    alice = await signed_in(browsers, place.alice)
    created = await alice.post_form(
        "/posts",
        {
            "category": "event",
            "title": "Street party",
            "body": "Bring a dish",
            "starts_at": "2099-06-20T18:30",
            "ends_at": "2099-06-20T23:00",
            "location": "Rue Haute",
            "shared_with_adjacent": "1",
        },
    )
    assert created.status == 303, await created.text()
    path = created.headers["Location"]
    bob = await signed_in(browsers, place.bob)

    # Then the events page lists it under its day
    html = await (await bob.get("/events")).text()
    assert re.search(r"<h2 id=\"day-1\">Saturday 20 June 2099</h2>", html)
    assert "Street party" in html and "Rue Haute" in html

    # When Bob says he is going, and Nora (Nord, shared) maybe
    await bob.post_form(f"{path}/rsvp", {"answer": "going"})
    nora = await signed_in(browsers, place.nora)
    await nora.post_form(f"{path}/rsvp", {"answer": "maybe"})

    # Then neighbours see the counts and who is going
    page = await (await alice.get(path)).text()
    assert "1 neighbour is going, 1 maybe." in page
    assert "Going: Bob" in page

    # When Bob answers "going" again, he takes it back
    await bob.post_form(f"{path}/rsvp", {"answer": "going"})
    page = await (await alice.get(path)).text()
    assert "0 neighbours are going, 1 maybe." in page and "Going: Bob" not in page

    # And the neighbourhood calendar holds the event at the right time, with no attendee
    response = await bob.get("/neighbourhood/calendar.ics")
    assert response.status == 200
    assert response.content_type == "text/calendar"
    ics = await response.read()
    (event,) = _events_in(ics)
    assert str(event["summary"]) == "Street party"
    assert str(event["location"]) == "Rue Haute"
    assert event.decoded("dtstart") == datetime(2099, 6, 20, 16, 30, tzinfo=UTC)  # CEST
    assert event.decoded("dtend") == datetime(2099, 6, 20, 21, 0, tzinfo=UTC)
    assert str(event["url"]).endswith(path)
    assert b"ATTENDEE" not in ics and b"Nora" not in ics


async def test_a_private_calendar_address_works_without_cookies_until_replaced(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    await write_post(node, place.alice, "Clean-up day", category="event", starts_at=4_102_444_800)
    bob = await signed_in(browsers, place.bob)

    # When Bob makes a private calendar address, it is shown once
    html = await (await bob.post_form("/events/calendar-link")).text()
    url = re.search(r'<code class="secret" id="calendar-url">([^<]+)</code>', html).group(1)
    path = url.removeprefix(node.config.base_url)
    assert path.startswith("/calendar/cal_") and path.endswith(".ics")
    assert url not in await (await bob.get("/events")).text()

    # Then a calendar app, with no cookie at all, reads the events through it
    app = browsers.open()
    response = await app.get(path)
    assert response.status == 200
    assert [str(e["summary"]) for e in _events_in(await response.read())] == ["Clean-up day"]

    # And a new address replaces the old one; stopping it closes both
    html = await (await bob.post_form("/events/calendar-link")).text()
    second = (
        re.search(r'id="calendar-url">([^<]+)<', html).group(1).removeprefix(node.config.base_url)
    )
    assert (await app.get(path)).status == 404
    assert (await app.get(second)).status == 200
    await bob.post_form("/events/calendar-link/revoke")
    assert (await app.get(second)).status == 404
    assert (await app.get("/calendar/not-a-token.ics")).status == 404


async def test_an_event_needs_a_start_and_an_end_after_it(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)

    missing = await alice.post_form("/posts", {"category": "event", "title": "Picnic"})
    assert missing.status == 400
    assert field_errors(await missing.text()) == {"starts_at": "Enter when the event starts."}

    backwards = await alice.post_form(
        "/posts",
        {
            "category": "event",
            "title": "Picnic",
            "starts_at": "2099-06-20T18:30",
            "ends_at": "2099-06-20T17:00",
        },
    )
    html = await backwards.text()
    assert field_errors(html) == {"ends_at": "The end must come after the start."}
    assert 'value="2099-06-20T18:30"' in html  # what she typed is kept

    other = await alice.post_form("/posts", {"category": "tip", "title": "Not an event"})
    answer = await alice.post_form(f"{other.headers['Location']}/rsvp", {"answer": "going"})
    assert answer.status == 422
