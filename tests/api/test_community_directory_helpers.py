"""The neighbour directory and the helpers page, as residents fill and read them."""

from __future__ import annotations

import aiohttp
import pytest

from node.api.app_keys import DATABASE, HELPERS
from node.models import Role
from node.services.accounts import NewAccount
from tests.api.community_people import person, signed_in
from tests.conftest import PASSWORD, register_csv


async def post_pairs(tab, path: str, pairs: list[tuple[str, str]]):
    """Post a form whose field repeats (ticked checkboxes), with the browser's CSRF token."""
    form = aiohttp.FormData([*pairs, ("csrf_token", await tab.csrf_token())])
    return await tab.request("POST", path, data=form)


@pytest.fixture
async def street(node, browsers):
    """Anne and Jean live in two households of Centre; Zoe lives in Nord."""
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nord")
    await node.register.import_register(
        register_csv(
            [
                ("Rue des Tilleuls", "12", "", "7000", "Mons", "centre"),
                ("Avenue du Parc", "3", "", "7000", "Mons", "centre"),
            ]
        )
    )
    households, _ = await node.register.household_page(None, "", 1)
    codes = {h.household.street: h.code for h in households}
    households_by_street = {h.household.street: h.household.id for h in households}
    # Anne joins with her letter, the real way; Jean's household is set directly, which
    # spares a second password hash (~0.4 s).
    anne = await node.accounts.sign_up_with_code(
        codes["Rue des Tilleuls"], NewAccount("anne@example.org", "Anne", PASSWORD), "t", PASSWORD
    )
    jean = await person(node, "Jean", "centre")
    await node.client.app[DATABASE].write(
        "test_household",
        lambda conn: conn.execute(
            "UPDATE users SET household_id = ? WHERE id = ?",
            (households_by_street["Avenue du Parc"], jean.id),
        ),
    )
    people = {"anne": anne, "jean": jean, "zoe": await person(node, "Zoe", "nord")}
    tabs = {key: await signed_in(node, browsers, user) for key, user in people.items()}
    return people, tabs


async def test_the_directory_shows_only_the_fields_each_neighbour_chose(street):
    people, tabs = street
    anne, jean = people["anne"], people["jean"]

    # Given Anne lists herself with her street and bio, and Jean lists only his name,
    # both also offering help with gardening
    for who in ("anne", "jean"):
        await tabs[who].post_form("/helpers/me", {"skills": "gardening", "note": ""})
    form = await tabs["anne"].get("/directory/me")
    assert "only residents of Centre who are signed in" in await form.text()
    await tabs["anne"].post_form(
        "/directory/me",
        {
            "listed": "1",
            "bio": "Retired teacher, I love plants.",
            "show_bio": "1",
            "show_street": "1",
            "show_skills": "1",
        },
    )
    await tabs["jean"].post_form(
        "/directory/me", {"listed": "1", "bio": "Jean's private bio", "show_skills": ""}
    )

    # When Jean looks at the directory
    page = await tabs["jean"].get("/directory")
    text = await page.text()

    # Then Anne shows with her street (never the number), her bio and her skill
    assert page.status == 200
    assert "Rue des Tilleuls" in text
    assert "Rue des Tilleuls 12" not in text and ">12<" not in text
    assert "Retired teacher, I love plants." in text
    assert "Gardening" in text
    assert f'href="/messages/{anne.id}"' in text
    # And Jean's own entry shows only his name: no street, no bio, no skills
    assert "Avenue du Parc" not in text
    assert "Jean&#39;s private bio" not in text and "private bio" not in text
    assert f'href="/messages/{jean.id}"' not in text  # no "send a message" to oneself
    assert text.count("Gardening") == 1

    # And a resident of another neighbourhood sees none of them
    other = await (await tabs["zoe"].get("/directory")).text()
    assert "Anne" not in other and "Rue des Tilleuls" not in other


async def test_leaving_the_directory_removes_the_entry(node, street):
    people, tabs = street
    await tabs["anne"].post_form("/directory/me", {"listed": "1", "bio": "Hi", "show_bio": "1"})
    assert "Anne" in await (await tabs["jean"].get("/directory")).text()

    await tabs["anne"].post_form("/directory/me", {"bio": "Hi", "show_bio": "1"})

    assert "Anne" not in await (await tabs["jean"].get("/directory")).text()
    api = await tabs["anne"].request(
        "GET", "/api/v1/directory/me", headers=await node.api_token(people["anne"])
    )
    assert (await api.json())["listed"] is False


async def test_helpers_are_listed_by_skill_and_volunteers_counted_inside_the_node(node, street):
    people, tabs = street
    anne, jean, zoe = people["anne"], people["jean"], people["zoe"]

    # Given Anne offers gardening and shopping and volunteers for the city, Jean offers repairs
    saved = await post_pairs(
        tabs["anne"],
        "/helpers/me",
        [
            ("skills", "gardening"),
            ("skills", "shopping"),
            ("note", "Weekends only"),
            ("volunteer", "1"),
        ],
    )
    assert saved.status == 303
    await tabs["jean"].post_form("/helpers/me", {"skills": "repairs"})
    await tabs["zoe"].post_form("/helpers/me", {"skills": "gardening", "volunteer": "1"})

    # When Jean filters the helpers page by gardening
    page = await tabs["jean"].get("/helpers?skill=gardening")
    text = await page.text()

    # Then only Anne shows, with a contact link; Zoe of Nord does not
    assert page.status == 200
    assert "Anne" in text and "Weekends only" in text
    assert f'href="/messages/{anne.id}"' in text
    assert "Zoe" not in text
    assert '<span class="skill-tag">Small repairs</span>' not in text

    # And without a filter both neighbours show
    everyone = await (await tabs["jean"].get("/helpers")).text()
    assert "Anne" in everyone and "Small repairs" in everyone

    # And the city-call feature can get Centre's volunteers (ids and counts, in the node)
    helpers = node.client.app[HELPERS]
    assert await helpers.volunteer_ids(anne.neighbourhood_id) == [anne.id]
    assert await helpers.volunteer_count(anne.neighbourhood_id) == 1
    assert jean.id not in await helpers.volunteer_ids(jean.neighbourhood_id)
    assert await helpers.volunteer_ids(zoe.neighbourhood_id) == [zoe.id]


async def test_a_helper_must_choose_something_and_can_stop(street):
    _, tabs = street

    refused = await tabs["anne"].post_form("/helpers/me", {"note": "Ask me"})
    assert refused.status == 400
    assert "Choose at least one skill" in await refused.text()

    await tabs["anne"].post_form("/helpers/me", {"skills": "pets"})
    assert "Anne" in await (await tabs["jean"].get("/helpers")).text()
    await tabs["anne"].post_form("/helpers/me/delete")
    assert "Anne" not in await (await tabs["jean"].get("/helpers")).text()


async def test_city_staff_see_neither_directory_nor_helpers(node, street, browsers):
    staff = await person(node, "City", None, Role.CITY_STAFF)
    tab = await signed_in(node, browsers, staff)
    token = await node.api_token(staff)

    pages = [await tab.get(path) for path in ("/directory", "/helpers", "/directory/me")]
    apis = [
        await tab.request("GET", path, headers=token)
        for path in ("/api/v1/directory", "/api/v1/helpers")
    ]

    assert [r.status for r in pages + apis] == [403] * 5
