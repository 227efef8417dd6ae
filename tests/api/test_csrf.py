"""Forms only count when they come from our own pages; the API never trusts a browser cookie."""

from __future__ import annotations

import aiohttp
import pytest

from node.models import Role
from tests.api.browser import (
    SESSION_COOKIE,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import register_csv

EXPIRED = "This form has expired. Go back, reload the page and send it again."
CROSS_SITE = "This form was sent from another site and was refused."


@pytest.fixture
async def admin_browser(node, browsers):
    admin = await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login(admin.email)
    return browser


async def _neighbourhood_names(node) -> list[str]:
    return [n.name for n in await node.register.list_neighbourhoods()]


async def test_a_form_without_its_token_is_refused_and_changes_nothing(node, admin_browser):
    # Given a signed-in admin
    # When a form arrives without the CSRF token
    response = await admin_browser.request("POST", "/admin/neighbourhoods", data={"name": "Forged"})

    # Then it is refused with a message saying what to do, and nothing is created
    assert response.status == 403
    assert EXPIRED in await response.text()
    assert await _neighbourhood_names(node) == []


async def test_a_form_with_a_wrong_token_is_refused_and_changes_nothing(node, admin_browser):
    # Given a signed-in admin whose browser holds a CSRF cookie
    await admin_browser.csrf_token()

    # When a form arrives carrying another token
    response = await admin_browser.request(
        "POST",
        "/admin/neighbourhoods",
        data={"name": "Forged", "csrf_token": "x" * 43},
    )

    # Then it is refused and nothing is created
    assert response.status == 403
    assert EXPIRED in await response.text()
    assert await _neighbourhood_names(node) == []


async def test_a_form_from_another_site_is_refused_even_with_the_right_token(node, admin_browser):
    # Given a signed-in admin, and the right token
    # When the form is posted from another origin
    response = await admin_browser.post_form(
        "/admin/neighbourhoods",
        {"name": "Forged"},
        headers={"Origin": "https://evil.example"},
    )

    # Then it is refused and nothing is created
    assert response.status == 403
    assert CROSS_SITE in await response.text()
    assert await _neighbourhood_names(node) == []


async def test_the_same_form_from_our_own_pages_is_accepted(node, admin_browser):
    # Given a signed-in admin
    # When the form comes from the node's own origin, with the page's token
    response = await admin_browser.post_form(
        "/admin/neighbourhoods",
        {"name": "Centre"},
        headers={"Origin": str(admin_browser.url("/")).rstrip("/")},
    )

    # Then the neighbourhood is created
    assert response.status == 303
    assert await _neighbourhood_names(node) == ["Centre"]


async def test_an_upload_without_the_token_imports_nothing(node, admin_browser):
    # Given a neighbourhood and a valid register file
    await node.register.create_neighbourhood("Centre")
    form = aiohttp.FormData()
    form.add_field(
        "register",
        register_csv([("Rue Haute", "1", "", "7000", "Mons", "centre")]),
        filename="register.csv",
        content_type="text/csv",
    )

    # When the upload arrives without the token
    response = await admin_browser.request("POST", "/admin/addresses", data=form)

    # Then it is refused and the register stays empty
    assert response.status == 403
    _, total = await node.register.household_page(None, "", 1)
    assert total == 0


async def test_sign_out_without_the_token_keeps_the_session(node, admin_browser):
    # Given a signed-in admin
    # When another site makes their browser post to /logout without the token
    response = await admin_browser.request("POST", "/logout", data={})

    # Then they stay signed in
    assert response.status == 403
    assert (await admin_browser.get("/admin")).status == 200


async def test_sign_in_without_the_token_opens_no_session(node, browsers):
    # Given an account
    user = await node.user(Role.CITY_STAFF, "staff@example.org")
    browser = browsers.open()

    # When a sign-in form is posted without the token (login CSRF)
    response = await browser.request(
        "POST", "/login", data={"email": user.email, "password": "correct horse battery"}
    )

    # Then no session is opened
    assert response.status == 403
    assert SESSION_COOKIE not in response.cookies
    assert browser.cookie(SESSION_COOKIE) is None


async def test_the_api_ignores_a_signed_in_browsers_cookie(node, admin_browser):
    # Given an admin signed in through the web pages
    assert admin_browser.cookie(SESSION_COOKIE)

    # When their browser calls the API with only its cookies (even adding the form token)
    me = await admin_browser.get("/api/v1/me")
    create = await admin_browser.request(
        "POST",
        "/api/v1/neighbourhoods",
        json={"name": "Via cookie"},
        headers={"X-CSRF-Token": await admin_browser.csrf_token()},
    )

    # Then the API answers as to a stranger, and nothing is created
    assert me.status == 401
    assert me.content_type == "application/problem+json"
    assert (await me.json())["status"] == 401
    assert create.status == 401
    assert create.content_type == "application/problem+json"
    assert await _neighbourhood_names(node) == []


async def test_the_api_needs_no_form_token_with_a_bearer_token(node, browsers):
    # Given an admin's API token
    admin = await node.user(Role.ADMIN, "admin@example.org")
    headers = await node.api_token(admin)

    # When a script posts JSON without any cookie or form token
    response = await browsers.open().request(
        "POST", "/api/v1/neighbourhoods", json={"name": "Scripted"}, headers=headers
    )

    # Then it works: the bearer token is the proof of intent
    assert response.status == 201
    assert await _neighbourhood_names(node) == ["Scripted"]
