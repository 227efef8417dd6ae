"""The admin's pages: neighbourhoods, the address register, letters and accounts."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import aiohttp
import pytest
from pypdf import PdfReader

from node.models import Role
from tests.api.browser import (
    field_errors,
    input_value,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import register_csv

PROBLEM_ROW = re.compile(r'<tr><td class="numeric">(\d+)</td><td>(.*?)</td></tr>')


@pytest.fixture
async def admin(node, browsers):
    user = await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login(user.email)
    return browser


def _upload(content: bytes, filename: str = "register.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("register", content, filename=filename, content_type="text/csv")
    return form


async def _post_upload(browser, content: bytes, filename: str = "register.csv"):
    form = _upload(content, filename)
    form.add_field("csrf_token", await browser.csrf_token())
    return await browser.request("POST", "/admin/addresses", data=form)


async def _household_count(node) -> int:
    _, total = await node.register.household_page(None, "", 1)
    return total


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


async def test_admin_creates_a_neighbourhood(node, admin):
    # When the admin creates a neighbourhood
    response = await admin.post_form("/admin/neighbourhoods", {"name": "  Centre-Ville "})

    # Then they are shown the list with it, and a confirmation
    assert response.status == 303
    page = await admin.get(response.headers["Location"])
    html = await page.text()
    assert "The neighbourhood was created." in html
    assert "<td>Centre-Ville</td><td><code>centre-ville</code></td>" in html


async def test_a_duplicate_neighbourhood_is_explained_beside_the_name(node, admin):
    # Given a neighbourhood Centre-Ville
    await node.register.create_neighbourhood("Centre-Ville")

    # When the admin creates it again, spelt slightly differently
    response = await admin.post_form("/admin/neighbourhoods", {"name": "centre ville"})

    # Then the name field says it exists, keeps what was typed, and nothing is added
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {"name": "A neighbourhood called centre ville already exists."}
    assert input_value(html, "name") == "centre ville"
    assert len(await node.register.list_neighbourhoods()) == 1


async def test_an_empty_neighbourhood_name_is_explained_beside_the_field(node, admin):
    response = await admin.post_form("/admin/neighbourhoods", {"name": " "})

    assert response.status == 400
    assert field_errors(await response.text()) == {
        "name": "Give the neighbourhood a name of 2 to 80 characters."
    }
    assert await node.register.list_neighbourhoods() == []


async def test_importing_a_good_register_shows_the_counts(node, admin):
    # Given two neighbourhoods and a register file
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    content = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "A", "7000", "Mons", "Centre"),
            ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
        ]
    )

    # When the admin uploads it through the form
    response = await _post_upload(admin, content)

    # Then the page says what was imported, and the households exist with their codes
    html = await response.text()
    assert response.status == 200
    assert "The register was imported" in html
    assert "3 new households" in html
    assert "3 invitation codes issued" in html
    items, total = await node.register.household_page(None, "", 1)
    assert total == 3
    assert all(item.code for item in items)

    # And uploading the same file again changes nothing
    again = await _post_upload(admin, content)
    html = await again.text()
    assert "0 new households" in html
    assert "3 households unchanged" in html
    assert "0 invitation codes issued" in html
    assert [item.code for item in (await node.register.household_page(None, "", 1))[0]] == [
        item.code for item in items
    ]


async def test_a_bad_register_lists_its_lines_and_imports_nothing(node, admin):
    # Given a register with a bad postcode on line 3 and an unknown neighbourhood on line 5
    await node.register.create_neighbourhood("Centre")
    content = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "70", "Mons", "centre"),
            ("Grand-Place", "3", "", "7000", "Mons", "centre"),
            ("Rue Inconnue", "4", "", "7000", "Mons", "atlantis"),
        ]
    )

    # When the admin uploads it
    response = await _post_upload(admin, content, "mons-2026.csv")

    # Then the page lists each bad line with its problem, and not one household is imported
    html = await response.text()
    assert response.status == 400
    assert "Problems in mons-2026.csv" in html
    assert "Nothing was imported." in html
    rows = PROBLEM_ROW.findall(html)
    assert [line for line, _ in rows] == ["3", "5"]
    assert "postcode &#39;70&#39; is not a postcode" in rows[0][1]
    assert "neighbourhood &#39;atlantis&#39; does not exist" in rows[1][1]
    assert field_errors(html) == {
        "register": "The address register was not imported. Problems found: 2."
    }
    assert await _household_count(node) == 0


async def test_an_upload_without_a_file_asks_for_one(node, admin):
    form = aiohttp.FormData()
    form.add_field("csrf_token", await admin.csrf_token())
    response = await admin.request("POST", "/admin/addresses", data=form)

    assert response.status == 400
    assert field_errors(await response.text()) == {"register": "Choose a CSV file to import."}


async def test_the_letters_pdf_has_one_page_per_household(node, admin):
    # Given three households in two neighbourhoods
    await node.register.create_neighbourhood("Centre")
    nimy = await node.register.create_neighbourhood("Nimy")
    await node.register.import_register(
        register_csv(
            [
                ("Grand-Place", "1", "", "7000", "Mons", "centre"),
                ("Grand-Place", "2", "", "7000", "Mons", "centre"),
                ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
            ]
        )
    )

    # When the admin downloads the letters, for all, for one neighbourhood, for one household
    everyone = await admin.get("/admin/letters.pdf")
    for_nimy = await admin.get(f"/admin/letters.pdf?neighbourhood={nimy.id}")
    items, _ = await node.register.household_page(None, "", 1)
    one = await admin.get(f"/admin/letters.pdf?household={items[0].household.id}")

    # Then each is a PDF to save, with one page per household
    assert everyone.status == 200
    assert everyone.content_type == "application/pdf"
    assert everyone.headers["Content-Disposition"].startswith("attachment")
    assert _pages(await everyone.read()) == 3
    assert _pages(await for_nimy.read()) == 1
    assert _pages(await one.read()) == 1

    # And a household whose code was revoked gets no letter
    await node.register.revoke_code(items[0].household.id)
    assert _pages(await (await admin.get("/admin/letters.pdf")).read()) == 2


async def test_odd_query_values_get_a_page_not_a_crash(node, admin):
    # Given a household, and an admin who follows mangled or hand-edited links
    await node.register.create_neighbourhood("Centre")
    await node.register.import_register(
        register_csv([("Grand-Place", "1", "", "7000", "Mons", "centre")])
    )
    huge = "9" * 25
    paths = [
        "/admin/households?page=two",
        "/admin/households?page=²",
        f"/admin/households?page={huge}",
        f"/admin/households?neighbourhood={huge}",
        "/admin/letters.pdf?household=²",
        f"/admin/letters.pdf?neighbourhood={huge}",
    ]

    # When they open them
    crashed = [path for path in paths if (await admin.get(path)).status >= 500]

    # Then each gets a page (or a clear 4xx), never "something went wrong on our side"
    assert crashed == []


async def test_letters_without_any_household_say_so(node, admin):
    response = await admin.get("/admin/letters.pdf")

    assert response.status == 404
    assert "No household with a valid code to print a letter for." in await response.text()


async def test_letters_for_an_address_the_fonts_cannot_print_name_it(node, admin):
    # Given a household whose street has a character outside Latin-1
    await node.register.create_neighbourhood("Centre")
    await node.register.import_register(
        register_csv([("ulica Łódzka", "5", "", "7000", "Mons", "centre")])
    )

    # When the admin downloads the letters
    response = await admin.get("/admin/letters.pdf")

    # Then a page says which address and which character, and no PDF is offered
    assert response.status == 422
    assert response.content_type == "text/html"
    text = await response.text()
    assert "The letters cannot be printed" in text
    assert "ulica Łódzka 5" in text and "U+0141" in text


async def test_admin_creates_a_city_staff_account_whose_link_works_once(node, admin, browsers):
    # When the admin creates a city staff account
    response = await admin.post_form(
        "/admin/users",
        {"display_name": "Claire", "email": "claire@mons.be", "role": "city_staff"},
    )

    # Then the page shows a one-time link to send her
    html = await response.text()
    assert response.status == 200
    link = re.search(r'<code class="secret" id="reset-link">([^<]+)</code>', html).group(1)
    assert link.startswith(node.config.base_url + "/reset/")
    assert "claire@mons.be" in html
    path = urlsplit(link).path

    # When she opens it and chooses a password
    claire = browsers.open()
    assert (await claire.get(path)).status == 200
    chosen = await claire.post_form(
        path, {"password": "a long new password", "password_confirmation": "a long new password"}
    )

    # Then she is signed in on the city dashboard
    assert chosen.status == 303
    assert chosen.headers["Location"] == "/city"
    assert (await claire.get("/city")).status == 200

    # And the link does not work a second time
    stranger = browsers.open()
    reused = await stranger.get(path)
    assert reused.status == 404
    assert "This link has expired or has already been used." in await reused.text()
    again = await stranger.post_form(
        path, {"password": "someone else's pass", "password_confirmation": "someone else's pass"}
    )
    assert again.status == 404

    # And she signs in with her password afterwards
    signed_in = await browsers.open().login("claire@mons.be", "a long new password")
    assert signed_in.headers["Location"] == "/city"


async def test_a_new_link_replaces_the_previous_one(node, admin, browsers):
    # Given a city staff account with a password link
    staff = await node.user(Role.CITY_STAFF, "staff@mons.be")
    first = await node.accounts.create_reset_link(staff.id)

    # When the admin asks for a new link on the accounts page
    response = await admin.post_form(f"/admin/users/{staff.id}/reset-link")
    html = await response.text()
    link = re.search(r'id="reset-link">([^<]+)<', html).group(1)

    # Then the new link works and the old one no longer does
    assert (await browsers.open().get(urlsplit(link).path)).status == 200
    assert (await browsers.open().get(f"/reset/{first}")).status == 404


async def test_creating_an_account_twice_is_explained_beside_the_email(node, admin):
    # Given an account for claire@mons.be
    await node.user(Role.CITY_STAFF, "claire@mons.be")

    # When the admin creates another with the same address, in capitals
    response = await admin.post_form(
        "/admin/users",
        {"display_name": "Claire bis", "email": "CLAIRE@mons.be", "role": "city_staff"},
    )

    # Then the e-mail field says so, the typed values stay, and no link is shown
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {
        "email": "An account already uses the e-mail address CLAIRE@mons.be."
    }
    assert input_value(html, "display_name") == "Claire bis"
    assert 'id="reset-link"' not in html


async def test_a_moderator_needs_a_neighbourhood(node, admin):
    response = await admin.post_form(
        "/admin/users",
        {"display_name": "Moe", "email": "moe@example.org", "role": "moderator"},
    )

    assert response.status == 400
    assert field_errors(await response.text()) == {
        "neighbourhood": "Residents and moderators belong to a neighbourhood."
    }
    assert await node.accounts.user_by_email("moe@example.org") is None
