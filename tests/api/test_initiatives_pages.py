"""Citizen initiatives on one city node: a resident proposes, neighbours support, past the
threshold the city receives the text and a count (never a name), answers, and the answer
shows in the neighbourhood."""

from __future__ import annotations

import re

from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from tests.api.browser import field_errors, input_value
from tests.conftest import ENGLISH, PASSWORD, Node

THRESHOLD = 3


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(
        data,
        env={
            "QUARTIER_CITY_ENABLED": "true",
            "QUARTIER_PARTICIPATION_INITIATIVE_THRESHOLD": str(THRESHOLD),
        },
    )
    node = Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    return node


async def login(node: Node, email: str) -> None:
    node.client.session.cookie_jar.clear()
    await node.login(email)


async def resident(node: Node, email: str, name: str, neighbourhood: str = "centre"):
    return await node.accounts.create_user(email, name, Role.RESIDENT, neighbourhood, PASSWORD)


def initiative_id_from(location: str) -> int:
    return int(re.search(r"/initiatives/(\d+)", location).group(1))


async def test_a_bad_proposal_keeps_what_was_typed_and_says_what_is_wrong(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await resident(node, "ada@centre.example", "Ada Lovelace")
    await login(node, "ada@centre.example")

    response = await node.post_form("/initiatives/new", {"title": "Bank", "body": "Too short"})

    assert response.status == 400
    page = await response.text()
    errors = field_errors(page)
    assert errors["title"] == "Give the initiative a title of 5 to 200 characters."
    assert errors["body"] == "Say what you propose, where and why, in 20 to 10000 characters."
    assert input_value(page, "title") == "Bank"
    assert "Too short" in page  # the textarea keeps the text
    listing = await (await node.client.get("/initiatives")).text()
    assert "No initiative yet in your neighbourhood" in listing


async def test_past_the_threshold_the_city_gets_a_count_and_answers(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await resident(node, "ada@centre.example", "Ada Lovelace")
    await resident(node, "blaise@centre.example", "Blaise Pascal")
    await resident(node, "carl@centre.example", "Carl Gauss")
    await resident(node, "dora@nimy.example", "Dora Nimy", "nimy")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")

    # Given Ada proposes an initiative: she is its first supporter
    await login(node, "ada@centre.example")
    response = await node.post_form(
        "/initiatives/new",
        {
            "title": "A bench at the bus stop",
            "body": "Older neighbours wait **standing** at the Rue Haute stop; a bench would help.",
        },
    )
    assert response.status == 303, await response.text()
    initiative_id = initiative_id_from(response.headers["Location"])
    page = await (await node.client.get(f"/initiatives/{initiative_id}")).text()
    assert "1 supporter" in page and "You support this initiative." in page
    assert "<strong>standing</strong>" in page

    # The city has nothing while it gathers support
    await login(node, "staff@mons.example")
    assert (
        "A bench at the bus stop" not in await (await node.client.get("/city/initiatives")).text()
    )

    # A resident of another neighbourhood does not see it, and cannot support it
    await login(node, "dora@nimy.example")
    assert (await node.client.get(f"/initiatives/{initiative_id}")).status == 404
    refused = await node.post_form(f"/initiatives/{initiative_id}/support", {})
    assert refused.status == 404

    # When two neighbours support it, it reaches the threshold and goes to the city
    for email in ("blaise@centre.example", "carl@centre.example"):
        await login(node, email)
        supported = await node.post_form(f"/initiatives/{initiative_id}/support", {})
        assert supported.status == 303
    page = await (await node.client.get(f"/initiatives/{initiative_id}")).text()
    assert "3 supporters" in page and "sent to the city" in page

    # Then the author can no longer withdraw it
    await login(node, "ada@centre.example")
    page = await (await node.client.get(f"/initiatives/{initiative_id}")).text()
    assert "Withdraw the initiative" not in page
    refused = await node.post_form(f"/initiatives/{initiative_id}/withdraw", {})
    assert refused.status == 409

    # And city staff see the text and the count, and no name
    await login(node, "staff@mons.example")
    listing = await (await node.client.get("/city/initiatives")).text()
    assert "A bench at the bus stop" in listing and "to answer" in listing
    city_id = int(re.search(r'href="/city/initiatives/(\d+)"', listing).group(1))
    page = await (await node.client.get(f"/city/initiatives/{city_id}")).text()
    assert "Centre" in page and re.search(r"<dd>\s*3\s*</dd>", page)
    for name in ("Ada", "Blaise", "Carl", "ada@centre.example"):
        assert name not in page and name not in listing

    # When one supporter withdraws, the city's count follows
    await login(node, "carl@centre.example")
    await node.post_form(f"/initiatives/{initiative_id}/unsupport", {})
    await login(node, "staff@mons.example")
    page = await (await node.client.get(f"/city/initiatives/{city_id}")).text()
    assert re.search(r"<dd>\s*2\s*</dd>", page)

    # An empty answer is refused beside the field
    refused = await node.post_form(f"/city/initiatives/{city_id}/answer", {"answer": "  "})
    assert refused.status == 400
    assert field_errors(await refused.text())["answer"].startswith("Write the answer")

    # When the city answers, the answer shows in the neighbourhood and support closes
    answered = await node.post_form(
        f"/city/initiatives/{city_id}/answer",
        {"answer": "The bench will be installed in **March**."},
    )
    assert answered.status == 303
    again = await node.post_form(f"/city/initiatives/{city_id}/answer", {"answer": "Twice"})
    assert again.status == 409
    await login(node, "blaise@centre.example")
    page = await (await node.client.get(f"/initiatives/{initiative_id}")).text()
    assert "The city&#39;s answer" in page or "The city's answer" in page
    assert "<strong>March</strong>" in page
    assert "Support this initiative" not in page and "Withdraw my support" not in page
    refused = await node.post_form(f"/initiatives/{initiative_id}/unsupport", {})
    assert refused.status == 409

    # The author and the neighbours who still supported it are told, with a link to it
    told = "The city answered the initiative &#39;A bench at the bus stop&#39;"
    for email in ("ada@centre.example", "blaise@centre.example"):
        await login(node, email)
        page = await (await node.client.get("/notifications")).text()
        assert told in page, email
        assert f'<a href="/initiatives/{initiative_id}">{told}</a>' in page
    # Carl withdrew his support before the answer; Dora lives elsewhere
    for email in ("carl@centre.example", "dora@nimy.example"):
        await login(node, email)
        page = await (await node.client.get("/notifications")).text()
        assert "The city answered" not in page, email


async def test_the_author_withdraws_a_gathering_initiative(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await resident(node, "ada@centre.example", "Ada Lovelace")
    await resident(node, "blaise@centre.example", "Blaise Pascal")
    await login(node, "ada@centre.example")
    response = await node.post_form(
        "/initiatives/new",
        {"title": "Car-free Sundays", "body": "Close the square to cars on Sunday mornings."},
    )
    initiative_id = initiative_id_from(response.headers["Location"])

    # A neighbour who is not the author cannot withdraw it
    await login(node, "blaise@centre.example")
    assert (await node.post_form(f"/initiatives/{initiative_id}/withdraw", {})).status == 404

    await login(node, "ada@centre.example")
    withdrawn = await node.post_form(f"/initiatives/{initiative_id}/withdraw", {})
    assert withdrawn.status == 303
    assert "Car-free Sundays" not in await (await node.client.get("/initiatives")).text()
    assert (await node.client.get(f"/initiatives/{initiative_id}")).status == 404


async def test_the_api_proposes_supports_and_answers(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    people = [
        await resident(node, f"r{n}@centre.example", f"Resident {n}") for n in range(THRESHOLD)
    ]
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    first = await node.api_token(people[0])

    bad = await node.client.post("/api/v1/initiatives", json={"title": "x"}, headers=first)
    assert bad.status == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")

    created = await node.client.post(
        "/api/v1/initiatives",
        json={"title": "More trees on the square", "body": "Plant ten lime trees around it."},
        headers=first,
    )
    assert created.status == 201, await created.text()
    initiative = await created.json()
    assert initiative["status"] == "gathering" and initiative["supporters"] == 1
    for person in people[1:]:
        response = await node.client.put(
            f"/api/v1/initiatives/{initiative['id']}/support",
            headers=await node.api_token(person),
        )
        assert response.status == 200
    shown = await (
        await node.client.get(f"/api/v1/initiatives/{initiative['id']}", headers=first)
    ).json()
    assert shown["status"] == "sent" and shown["supporters"] == THRESHOLD

    staff_headers = await node.api_token(staff)
    assert (await node.client.get("/api/v1/initiatives", headers=staff_headers)).status == 403
    (city_side,) = await (
        await node.client.get("/api/v1/city/initiatives", headers=staff_headers)
    ).json()
    assert city_side["supporters"] == THRESHOLD and "Resident" not in str(city_side)
    assert (await node.client.get("/api/v1/city/initiatives", headers=first)).status == 403
    answered = await node.client.post(
        f"/api/v1/city/initiatives/{city_side['id']}/answer",
        json={"answer": "Planting starts in November."},
        headers=staff_headers,
    )
    assert answered.status == 200
    shown = await (
        await node.client.get(f"/api/v1/initiatives/{initiative['id']}", headers=first)
    ).json()
    assert shown["status"] == "answered" and "November" in shown["answer_html"]
