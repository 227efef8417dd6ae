"""Calls for volunteers on one city node: staff send a call, volunteers are notified and
answer; the city sees how many answered and only the contacts volunteers chose to share."""

from __future__ import annotations

import re
import time

from node.api.app_keys import HELPERS, NOTIFICATIONS, REPORTING, VOLUNTEER_CALLS
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.models.city import ReportSubject
from node.services.city_broadcast import Targets
from node.services.volunteer_calls import VolunteerCallDraft
from tests.conftest import ENGLISH, PASSWORD, Node


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    return Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))


async def volunteer(node: Node, email: str, name: str, neighbourhood: str):
    user = await node.accounts.create_user(email, name, Role.RESIDENT, neighbourhood, PASSWORD)
    await node.client.app[HELPERS].register(user, [], "", volunteer=True)
    return user


async def login(node: Node, email: str) -> None:
    node.client.session.cookie_jar.clear()
    await node.login(email)


def message_id_from(location: str) -> int:
    return int(location.rsplit("/", 1)[1].split("?")[0])


async def test_staff_form_shows_each_problem_beside_its_field(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await node.register.create_neighbourhood("Centre")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.login("staff@mons.example")

    response = await node.post_form(
        "/city/volunteer-calls",
        {"title": "Tree planting", "description": "", "needed": "a dozen", "ends_at": "2001-01-01"},
    )

    assert response.status == 400
    page = await response.text()
    assert "There is a problem" in page
    for field, message in (
        ("description", "Describe what volunteers would do"),
        ("needed", "Give the number of volunteers as a whole number."),
        ("ends_at", "The end date must be in the future."),
        ("targets", "Choose at least one neighbourhood, or all of them."),
    ):
        assert f'href="#field-{field}"' in page  # in the summary, linking to the field
        assert re.search(rf'id="field-{field}-error"[^>]*>.*{re.escape(message)}', page, re.S)
    assert 'value="Tree planting"' in page  # nothing typed is lost
    assert 'value="a dozen"' in page


async def test_volunteers_are_notified_and_the_city_sees_only_shared_contacts(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    alice = await volunteer(node, "alice@mons.example", "Alice Martin", "centre")
    bernard = await volunteer(node, "bernard.private@mons.example", "Bernard Discret", "centre")
    elsewhere = await volunteer(node, "nina@mons.example", "Nina Nimy", "nimy")
    not_volunteer = await node.accounts.create_user(
        "paul@mons.example", "Paul", Role.RESIDENT, "centre", PASSWORD
    )

    # Given staff send a call to Centre
    await node.login("staff@mons.example")
    response = await node.post_form(
        "/city/volunteer-calls",
        {
            "title": "Plant 300 trees in the park",
            "description": "Saturday **9:00**, bring gloves.",
            "needed": "12",
            "target": f"local:{centre.id}",
        },
    )
    assert response.status == 303, await response.text()
    staff_page_url = response.headers["Location"].split("?")[0]

    # Then Centre's volunteers are notified, and nobody else
    notifications = node.client.app[NOTIFICATIONS]
    assert await notifications.unread_count(alice) == 1
    assert await notifications.unread_count(bernard) == 1
    assert await notifications.unread_count(elsewhere) == 0
    assert await notifications.unread_count(not_volunteer) == 0
    items = await notifications.recent(alice, mark_read=False)
    assert [n.kind for n in items] == ["volunteer_call"]
    # Told once, however often the pass runs
    await node.client.app[VOLUNTEER_CALLS].notify_volunteers()
    assert await notifications.unread_count(alice) == 1

    # The notification leads to the call's page on her node
    await login(node, "alice@mons.example")
    page = await (await node.client.get("/notifications")).text()
    assert "The city is looking for volunteers: &#39;Plant 300 trees in the park&#39;" in page
    link = re.search(r'href="/volunteer-calls/(\d+)"', page)
    assert link, "the notification links to the call"
    message_id = int(link.group(1))

    # When Alice opens the call, the form explains what the city will see
    page = await (await node.client.get(f"/volunteer-calls/{message_id}")).text()
    assert "Plant 300 trees in the park" in page and "<strong>9:00</strong>" in page
    assert "Share my contact with the city" in page
    assert "the city only learns that one more volunteer" in page
    assert 'value="Alice Martin"' in page  # prefilled with her display name

    # Sharing without contact details is refused beside the field
    response = await node.post_form(
        f"/volunteer-calls/{message_id}",
        {"share_contact": "on", "contact_name": "Alice Martin", "contact_details": ""},
    )
    assert response.status == 400
    page = await response.text()
    assert 'href="#field-contact_details"' in page
    assert "Give a phone number or an e-mail address" in page

    response = await node.post_form(
        f"/volunteer-calls/{message_id}",
        {
            "share_contact": "on",
            "contact_name": "Alice Martin",
            "contact_details": "0470 12 34 56",
            "message": "Free all Saturday",
        },
    )
    assert response.status == 303
    page = await (await node.client.get(response.headers["Location"])).text()
    assert "The city will receive the name, contact details and message you gave." in page

    # Bernard volunteers without sharing (what he types for the city is not kept)
    await login(node, "bernard.private@mons.example")
    response = await node.post_form(
        f"/volunteer-calls/{message_id}",
        {"contact_name": "Bernard Discret", "contact_details": "0499 99 99 99", "message": "Hi"},
    )
    assert response.status == 303
    page = await (await node.client.get(response.headers["Location"])).text()
    assert "without sharing your contact" in page

    # A resident of a neighbourhood the call did not go to cannot open it
    await login(node, "nina@mons.example")
    assert (await node.client.get(f"/volunteer-calls/{message_id}")).status == 404

    # Then, once the neighbourhood reports, staff see two answers and only Alice's contact
    await node.client.app[REPORTING].drain()
    await login(node, "staff@mons.example")
    staff_page = await (await node.client.get(staff_page_url)).text()
    assert "2 volunteers answered." in staff_page
    assert "You asked for 12." in staff_page
    assert "Alice Martin" in staff_page and "0470 12 34 56" in staff_page
    assert "Free all Saturday" in staff_page
    for secret in ("Bernard", "bernard.private@mons.example", "0499 99 99 99", "Hi<"):
        assert secret not in staff_page
    listing = await (await node.client.get("/city/volunteer-calls")).text()
    assert "Plant 300 trees in the park" in listing

    headers = await node.api_token(staff)
    call_id = int(staff_page_url.rsplit("/", 1)[1])
    response = await node.client.get(f"/api/v1/city/volunteer-calls/{call_id}", headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["answers"] == 2
    centre_row = next(n for n in body["neighbourhoods"] if n["name"] == "Centre")
    assert centre_row["contacts"] == [
        {"name": "Alice Martin", "contact": "0470 12 34 56", "message": "Free all Saturday"}
    ]
    raw = await response.text()
    assert "Bernard" not in raw and "bernard.private" not in raw and "0499" not in raw

    # When Alice unticks the box, the next report no longer carries her contact
    await login(node, "alice@mons.example")
    response = await node.post_form(
        f"/volunteer-calls/{message_id}",
        {"contact_name": "Alice Martin", "contact_details": "0470 12 34 56"},
    )
    assert response.status == 303
    service = node.client.app[VOLUNTEER_CALLS]
    subject = ReportSubject(body["call"]["object_uri"], "http://127.0.0.1:8080/ap/city", centre.id)
    figures = await service._db.read(
        "next_report", service.source.figures, subject, None, int(time.time())
    )
    assert figures.data == {"answers": 2, "contacts": []}

    # And withdrawing the answer takes her out of the count too
    response = await node.post_form(f"/volunteer-calls/{message_id}/withdraw", {})
    assert response.status == 303
    figures = await service._db.read(
        "next_report", service.source.figures, subject, None, int(time.time())
    )
    assert figures.data == {"answers": 1, "contacts": []}


async def test_api_create_answer_and_withdraw(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    alice = await volunteer(node, "alice@mons.example", "Alice Martin", "centre")
    staff_headers = await node.api_token(staff)
    alice_headers = await node.api_token(alice)

    bad = await node.client.post(
        "/api/v1/city/volunteer-calls",
        json={"title": "Snow", "description": "Shovel", "needed": 0},
        headers=staff_headers,
    )
    assert bad.status == 422
    assert (await bad.json())["type"]  # problem+json

    response = await node.client.post(
        "/api/v1/city/volunteer-calls",
        json={
            "title": "Snow shovelling",
            "description": "Help elders",
            "neighbourhoods": [centre.id],
        },
        headers=staff_headers,
    )
    assert response.status == 201
    call = await response.json()
    assert call["targets"] == [f"local:{centre.id}"] and call["answers"] == 0

    items = await node.client.app[NOTIFICATIONS].recent(alice, mark_read=False)
    assert [n.kind for n in items] == ["volunteer_call"]
    message_id = await node.client.app[VOLUNTEER_CALLS]._db.read(
        "notified_message",
        lambda conn: conn.execute(
            "SELECT city_message_id FROM notifications WHERE user_id = ?", (alice.id,)
        ).fetchone()[0],
    )

    # City staff cannot answer; residents cannot read the city's side
    assert (
        await node.client.put(
            f"/api/v1/volunteer-calls/{message_id}/answer", json={}, headers=staff_headers
        )
    ).status == 403
    assert (
        await node.client.get(f"/api/v1/city/volunteer-calls/{call['id']}", headers=alice_headers)
    ).status == 403

    refused = await node.client.put(
        f"/api/v1/volunteer-calls/{message_id}/answer",
        json={"share_contact": True, "contact_name": "Alice"},
        headers=alice_headers,
    )
    assert refused.status == 422
    assert "contact_details" in (await refused.json())["detail"]

    answered = await node.client.put(
        f"/api/v1/volunteer-calls/{message_id}/answer",
        json={"share_contact": True, "contact_name": "Alice", "contact_details": "a@b.example"},
        headers=alice_headers,
    )
    assert answered.status == 200
    assert (await answered.json())["share_contact"] is True

    await node.client.app[REPORTING].drain()
    results = await (
        await node.client.get(f"/api/v1/city/volunteer-calls/{call['id']}", headers=staff_headers)
    ).json()
    assert results["answers"] == 1
    assert results["neighbourhoods"][0]["contacts"][0]["contact"] == "a@b.example"

    gone = await node.client.delete(
        f"/api/v1/volunteer-calls/{message_id}/answer", headers=alice_headers
    )
    assert gone.status == 204

    withdrawn = await node.client.delete(
        f"/api/v1/city/volunteer-calls/{call['id']}", headers=staff_headers
    )
    assert withdrawn.status == 204
    listing = await (
        await node.client.get("/api/v1/city/volunteer-calls", headers=staff_headers)
    ).json()
    assert listing[0]["withdrawn_at"] is not None
    # A withdrawn call takes no new answers
    late = await node.client.put(
        f"/api/v1/volunteer-calls/{message_id}/answer", json={}, headers=alice_headers
    )
    assert late.status == 409


async def test_volunteers_get_an_email_per_their_settings(aiohttp_client, tmp_path, smtp_server):
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(
        data,
        env={
            "QUARTIER_CITY_ENABLED": "true",
            "QUARTIER_MAIL_SMTP_HOST": smtp_server.host,
            "QUARTIER_MAIL_SMTP_PORT": str(smtp_server.port),
            "QUARTIER_MAIL_SECURITY": "none",
            "QUARTIER_MAIL_FROM_ADDRESS": "quartier@mons.example",
        },
    )
    node = Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await volunteer(node, "alice@mons.example", "Alice Martin", "centre")
    quiet = await volunteer(node, "quiet@mons.example", "Quiet Volunteer", "centre")
    notifications = node.client.app[NOTIFICATIONS]
    await notifications.set_email_mode(quiet, "none")

    await node.client.app[VOLUNTEER_CALLS].publish(
        staff,
        VolunteerCallDraft(
            title="Snow shovelling for elders",
            description="Tomorrow morning.",
            targets=Targets(local=(centre.id,)),
        ),
    )
    await notifications.send_due()

    # Alice (e-mail at once, the default) is told with a link; the one who chose no e-mail is not
    (mail,) = await smtp_server.wait_for(1)
    assert mail["To"].endswith("alice@mons.example>") or mail["To"] == "alice@mons.example"
    text, _html = smtp_server.bodies(mail)
    assert "Snow shovelling for elders" in text
    assert re.search(r"http://127\.0\.0\.1:8080/volunteer-calls/\d+", text)
    assert all("quiet@" not in (m["To"] or "") for m in smtp_server.messages)
