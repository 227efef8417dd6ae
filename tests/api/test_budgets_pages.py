"""Participatory budgets through the pages: city staff publish one, residents share the amount
out (and are told beside the field when they give too much), staff close it, read the sums
(never a name) and publish the outcome, which residents then read."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from node.api.app_keys import BUDGETS, DATABASE, REPORTING
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.storage import city_messages as city_messages_store
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.conftest import ENGLISH, Node

# Field names here hold dots ("projects.1.cost"), which tests.api.browser's pattern does not.
ERROR_BESIDE = re.compile(r'<p id="field-([\w.-]+)-error" class="error-message">(.*?)</p>', re.S)


def field_errors(page: str) -> dict[str, str]:
    """The message printed beside each field of a failed form, by field name."""
    return {
        name: html.unescape(re.sub(r"<[^>]+>", "", text)).replace("Error:", "").strip()
        for name, text in ERROR_BESIDE.findall(page)
    }


def table_rows(page: str, caption: str) -> dict[str, list[str]]:
    """The body rows of the table with this caption: first cell (its first line) -> the others."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", page, re.S)
    assert table, f"no table {caption!r}"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if cells:
            text = [" ".join(re.sub(r"<[^>]+>", " ", c.split("<br>")[0]).split()) for c in cells]
            rows[text[0]] = text[1:]
    return rows


RESIDENT_NAMES = [f"Gertrude Pimprenelle-{n}" for n in range(6)]


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    return Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))


def next_week() -> str:
    moment = datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=7)
    return moment.strftime("%Y-%m-%dT%H:%M")


BUDGET_FORM = {
    "title": "Centre 2025",
    "description": "Choose what the city builds in **Centre**.",
    "amount": "10 000",
    "projects.0.name": "Benches on the square",
    "projects.0.description": "Ten oak benches",
    "projects.0.cost": "4000",
    "projects.1.name": "Bike racks",
    "projects.1.description": "Forty racks near the station",
    "projects.1.cost": "6000",
    "projects.3.name": "Trees on Rue des Fripiers",
    "projects.3.cost": "8000",
}


async def budget_message_id(node: Node, slug: str) -> int:
    neighbourhood = next(n for n in await node.register.list_neighbourhoods() if n.slug == slug)
    messages = await node.client.app[DATABASE].read(
        "list", city_messages_store.list_city_messages_for_neighbourhood, neighbourhood.id, 0
    )
    return next(m.id for m in messages if m.kind == "budget")


async def test_budget_from_form_to_allocation_results_and_outcome(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    residents = [
        await node.accounts.create_user(
            f"r{n}@example.org", name, Role.RESIDENT, "centre", "correct horse battery"
        )
        for n, name in enumerate(RESIDENT_NAMES)
    ]
    await node.user(Role.RESIDENT, email="nimy@example.org", neighbourhood="nimy")
    await node.login("staff@mons.example")

    # Given a form with a project cost that is not a number and no neighbourhood chosen
    form = {**BUDGET_FORM, "closes_at": next_week(), "projects.1.cost": "lots"}
    response = await node.post_form("/city/budgets", form)
    assert response.status == 400
    page = await response.text()
    errors = field_errors(page)
    assert errors["projects.1.cost"] == "Give the cost in whole euros, e.g. 12000."
    assert "Choose at least one neighbourhood" in errors["targets"]
    assert 'value="Benches on the square"' in page and 'value="lots"' in page
    assert 'href="#field-projects.1.cost"' in page  # in the error summary too

    # When corrected, it is published to Centre only
    form = {**BUDGET_FORM, "closes_at": next_week(), "target": f"local:{centre.id}"}
    response = await node.post_form("/city/budgets", form)
    assert response.status == 303, await response.text()
    staff_page_url = response.headers["Location"].split("?")[0]
    budget_id = int(staff_page_url.rsplit("/", 1)[1])
    listing = await (await node.client.get("/city/budgets")).text()
    assert "Centre 2025" in listing and f'href="/city/budgets/{budget_id}"' in listing

    # A resident of Centre gives too much: the error is beside the field that tips it over
    message_id = await budget_message_id(node, "centre")
    await node.login("r0@example.org")
    home = await (await node.client.get("/")).text()  # found under "From the city"
    assert f'href="/budgets/{message_id}">Centre 2025</a>' in home
    page = await (await node.client.get(f"/budgets/{message_id}")).text()
    assert "Benches on the square" in page and "<strong>Centre</strong>" in page
    assert "Your neighbourhood has 10,000 € to share out." in page
    response = await node.post_form(
        f"/budgets/{message_id}", {"project.0": "4000", "project.1": "3000", "project.2": "5000"}
    )
    assert response.status == 400
    page = await response.text()
    errors = field_errors(page)
    assert list(errors) == ["project.2"]
    # (amounts written as everywhere else on the page: 12,000 €, not 12000 €)
    assert errors["project.2"] == (
        "Together your amounts come to 12,000 €, more than the 10,000 € to share out."
    )
    assert 'href="#field-project.2"' in page
    assert 'value="4000"' in page and 'value="3000"' in page and 'value="5000"' in page
    # More than a project costs is refused beside that project
    response = await node.post_form(f"/budgets/{message_id}", {"project.0": "4500"})
    errors = field_errors(await response.text())
    assert errors["project.0"] == "At most the project's cost, 4,000 €."

    # Cents are refused, not read as a larger whole number ("50,5" is not 505 €), and what
    # was typed stays in the form; grouped thousands are understood
    response = await node.post_form(
        f"/budgets/{message_id}", {"project.0": "50,5", "project.1": "1.000", "project.2": ""}
    )
    assert response.status == 400
    page = await response.text()
    assert field_errors(page) == {"project.0": "Give a whole number of euros, 0 or more."}
    assert 'value="50,5"' in page and 'value="1.000"' in page

    # Within the amount, it is saved and shown again; it may change until closing
    response = await node.post_form(
        f"/budgets/{message_id}", {"project.0": "4000", "project.1": "1000", "project.2": ""}
    )
    assert response.status == 303
    response = await node.post_form(
        f"/budgets/{message_id}", {"project.0": "4000", "project.1": "6000", "project.2": ""}
    )
    assert response.status == 303
    page = await (await node.client.get(f"/budgets/{message_id}")).text()
    assert "Your allocation is saved" not in page  # the notice only follows the redirect
    assert 'value="6000"' in page and "You have allocated 10,000 € so far." in page

    # A resident of Nimy, where the budget did not go, cannot open it
    await node.login("nimy@example.org")
    assert (await node.client.get(f"/budgets/{message_id}")).status == 404

    # Five more residents of Centre allocate (with the one above: six, over k = 5)
    service = node.client.app[BUDGETS]
    given = {0: [4000], 1: [6000], 2: []}
    for n, resident in enumerate(residents[1:], start=1):
        amounts = {0: 1000 * n % 4000, 2: 2000}
        await service.allocate(resident, message_id, amounts)
        if amounts[0]:
            given[0].append(amounts[0])
        given[2].append(2000)

    # Staff close it: residents can no longer change, final figures arrive
    await node.login("staff@mons.example")
    response = await node.post_form(f"/city/budgets/{budget_id}/close", {})
    assert response.status == 303
    await node.client.app[REPORTING].run_once()
    page = await (await node.client.get(f"/city/budgets/{budget_id}")).text()
    assert "6 residents took part." in page
    assert "<svg" in page  # a chart, with the same figures in the tables
    cells = table_rows(page, "All neighbourhoods")
    assert cells["Benches on the square"] == ["4,000 €", f"{sum(given[0]):,} €", "5"]
    assert cells["Trees on Rue des Fripiers"] == ["8,000 €", f"{sum(given[2]):,} €", "5"]
    # Bike racks: one resident gave to it, fewer than k: hidden
    assert cells["Bike racks"] == ["6,000 €", "–", "–"]
    assert table_rows(page, "Centre")["Bike racks"] == ["hidden", "hidden"]
    for name in RESIDENT_NAMES:
        assert name not in page
    assert "r0@example.org" not in page

    # The resident now sees it closed, with their allocation, and cannot change it
    await node.login("r0@example.org")
    page = await (await node.client.get(f"/budgets/{message_id}")).text()
    assert "The budget is closed" in page and "The city will publish the outcome here." in page
    response = await node.post_form(f"/budgets/{message_id}", {"project.0": "1"})
    assert response.status == 409

    # Staff publish the outcome: residents read it, with the funded project marked
    await node.login("staff@mons.example")
    response = await node.post_form(f"/city/budgets/{budget_id}/outcome", {"funded": "0"})
    assert response.status == 400
    assert "Explain the outcome" in field_errors(await response.text())["outcome"]
    response = await node.post_form(
        f"/city/budgets/{budget_id}/outcome",
        {"funded": "0", "outcome": "The benches come in *spring*."},
    )
    assert response.status == 303
    await node.login("r0@example.org")
    page = await (await node.client.get(f"/budgets/{message_id}")).text()
    assert "What the city decided" in page and "<em>spring</em>" in page
    funded = re.search(r"Funded projects:</p>\s*<ul>(.*?)</ul>", page, re.S)
    assert funded and "Benches on the square" in funded.group(1)
    assert "Bike racks" not in funded.group(1)


async def test_withdrawn_budget_is_gone_for_residents(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await node.register.create_neighbourhood("Centre")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.user(Role.RESIDENT, email="r@example.org", neighbourhood="centre")
    await node.login("staff@mons.example")
    form = {**BUDGET_FORM, "closes_at": next_week(), "target": "all"}
    response = await node.post_form("/city/budgets", form)
    budget_id = int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    message_id = await budget_message_id(node, "centre")

    response = await node.post_form(f"/city/budgets/{budget_id}/withdraw", {})
    assert response.status == 303
    await node.login("r@example.org")
    page = await (await node.client.get(f"/budgets/{message_id}")).text()
    assert "The city withdrew this budget." in page
    assert 'name="project.0"' not in page


async def test_json_api_creates_allocates_closes_and_reports(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.api_token(await node.user(Role.CITY_STAFF, email="staff@mons.example"))
    resident_user = await node.user(Role.RESIDENT, email="r@example.org", neighbourhood="centre")
    resident = await node.api_token(resident_user)
    body = {
        "title": "Centre 2025",
        "description": "Choose.",
        "amount": 1000,
        "closes_at": int(datetime.now().timestamp()) + 86400,
        "projects": [{"name": "Benches", "cost": 800}],
        "neighbourhoods": [centre.id],
    }

    # One project is not a budget: a problem naming the field
    response = await node.client.post("/api/v1/city/budgets", json=body, headers=staff)
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert "projects" in (await response.json())["detail"]

    body["projects"].append({"name": "Racks", "description": "Near the station", "cost": 600})
    response = await node.client.post("/api/v1/city/budgets", json=body, headers=staff)
    assert response.status == 201, await response.text()
    budget = await response.json()
    assert [p["cost"] for p in budget["projects"]] == [800, 600]

    # The resident allocates on their node, within the amount
    message_id = await budget_message_id(node, "centre")
    path = f"/api/v1/budgets/{message_id}/allocation"
    over = {"allocation": [{"project": 0, "amount": 800}, {"project": 1, "amount": 600}]}
    response = await node.client.put(path, json=over, headers=resident)
    assert response.status == 422
    assert (await response.json())["detail"].startswith("project.1: Together your amounts")
    within = {"allocation": [{"project": 0, "amount": 700}, {"project": 1, "amount": 300}]}
    response = await node.client.put(path, json=within, headers=resident)
    assert response.status == 200
    assert (await response.json())["allocation"] == within["allocation"]

    # Closed, then the results: one participant, fewer than k, so no project figure
    response = await node.client.post(f"/api/v1/city/budgets/{budget['id']}/close", headers=staff)
    assert response.status == 200 and (await response.json())["closed_at"] is not None
    await node.client.app[REPORTING].run_once()
    results = await (
        await node.client.get(f"/api/v1/city/budgets/{budget['id']}", headers=staff)
    ).json()
    assert results["participants"] == 1
    assert results["neighbourhoods"][0]["projects"] == [
        {"total": None, "supporters": None},
        {"total": None, "supporters": None},
    ]
    assert "r@example.org" not in json.dumps(results)
    response = await node.client.put(path, json=within, headers=resident)
    assert response.status == 409

    response = await node.client.post(
        f"/api/v1/city/budgets/{budget['id']}/outcome",
        json={"funded": [0], "text": "Benches it is."},
        headers=staff,
    )
    assert response.status == 200
    assert (await response.json())["outcome"] == {"text": "Benches it is.", "funded": [0]}
