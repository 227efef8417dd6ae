"""Household invitation codes in use: shared by a household, revoked, reissued, mistyped;
and joining without a code, decided by the neighbourhood's moderator."""

from __future__ import annotations

import re

import pytest

from node.models import Role, UserStatus
from node.services.invitation_codes import format_code
from tests.api.browser import (
    SESSION_COOKIE,
    field_errors,
    input_value,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import PASSWORD, register_csv

REPLACED = (
    "This code has been replaced by a newer one. Use the code from your most recent letter, "
    "or ask the city for a new one."
)
MALFORMED = "Enter the 10-character code from your letter, like K7QM4-XRT9P."


@pytest.fixture
async def household(node):
    """Two neighbourhoods, and one household in Nimy with its code."""
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    await node.register.import_register(
        register_csv(
            [
                ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
                ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ]
        )
    )
    items, _ = await node.register.household_page(None, "", 1)
    return next(item for item in items if item.neighbourhood_name == "Nimy")


def _signup(code: str, email: str, name: str = "Neighbour") -> dict[str, str]:
    return {
        "code": code,
        "display_name": name,
        "email": email,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }


async def _admin(node, browsers):
    admin = await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login(admin.email)
    return browser


async def test_two_members_of_a_household_join_with_the_same_code(node, browsers, household):
    # Given the code from the household's letter
    code = format_code(household.code)

    # When two people of that household sign up with it, each on their own phone
    first = await browsers.open().post_form("/signup", _signup(code, "anne@example.org", "Anne"))
    second = await browsers.open().post_form(
        "/signup", _signup(code.lower(), "marc@example.org", "Marc")
    )

    # Then both are in, in the same household and neighbourhood
    assert first.status == second.status == 303
    anne = await node.accounts.user_by_email("anne@example.org")
    marc = await node.accounts.user_by_email("marc@example.org")
    assert anne.household_id == marc.household_id == household.household.id
    assert anne.neighbourhood_id == marc.neighbourhood_id == household.household.neighbourhood_id
    items, _ = await node.register.household_page(None, "Rue de Nimy", 1)
    assert items[0].residents == 2


async def test_a_revoked_code_is_refused_as_replaced(node, browsers, household):
    # Given an admin revokes the household's code on the households page
    admin = await _admin(node, browsers)
    revoked = await admin.post_form(f"/admin/households/{household.household.id}/revoke")
    assert revoked.status == 303

    # When someone signs up with it
    browser = browsers.open()
    response = await browser.post_form(
        "/signup", _signup(format_code(household.code), "late@example.org")
    )

    # Then the code field says it was replaced, and no account exists
    assert response.status == 400
    assert field_errors(await response.text()) == {"code": REPLACED}
    assert await node.accounts.user_by_email("late@example.org") is None
    assert browser.cookie(SESSION_COOKIE) is None


async def test_a_reissued_code_works_and_the_old_one_no_longer_does(node, browsers, household):
    # Given an admin issues the household a new code
    admin = await _admin(node, browsers)
    response = await admin.post_form(f"/admin/households/{household.household.id}/reissue")
    assert response.status == 303
    page = await admin.get(response.headers["Location"])
    assert "A new code was issued." in await page.text()
    items, _ = await node.register.household_page(None, "Rue de Nimy", 1)
    new_code = items[0].code
    assert new_code != household.code

    # When one person uses the old letter and another the new one
    old = await browsers.open().post_form(
        "/signup", _signup(format_code(household.code), "old@example.org")
    )
    new = await browsers.open().post_form(
        "/signup", _signup(format_code(new_code), "new@example.org")
    )

    # Then the old code is refused as replaced, and the new one lets them into Nimy
    assert old.status == 400
    assert field_errors(await old.text()) == {"code": REPLACED}
    assert new.status == 303
    joined = await node.accounts.user_by_email("new@example.org")
    assert joined.household_id == household.household.id


async def test_a_mistyped_code_is_explained_beside_the_field_and_keeps_what_was_typed(
    node, browsers, household
):
    # Given someone filling in the sign-up form
    browser = browsers.open()

    # When the code they type cannot be a code
    response = await browser.post_form(
        "/signup",
        {
            "code": "K7QM4-XRT9",
            "display_name": "Anne D.",
            "email": "anne@example.org",
            "password": "a secret sentence",
            "password_confirmation": "a secret sentence",
        },
    )

    # Then the message is beside the code field, what they typed is still there,
    # but the passwords are not sent back
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {"code": MALFORMED}
    assert input_value(html, "code") == "K7QM4-XRT9"
    assert input_value(html, "display_name") == "Anne D."
    assert input_value(html, "email") == "anne@example.org"
    assert input_value(html, "password") is None
    assert input_value(html, "password_confirmation") is None
    assert "a secret sentence" not in html


async def test_a_short_password_is_reported_and_the_code_kept(node, browsers, household):
    # Given someone who picks a password that is too short
    response = await browsers.open().post_form(
        "/signup",
        {
            "code": "ZZZZZ-ZZZZZ",
            "display_name": "Anne",
            "email": "anne@example.org",
            "password": "short",
            "password_confirmation": "short",
        },
    )

    # Then the password field says why, and the code is still typed
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {
        "password": "Use at least 10 characters. A short sentence is easy to remember."
    }
    assert input_value(html, "code") == "ZZZZZ-ZZZZZ"


async def test_a_letter_code_link_fills_in_the_code(node, browsers, household):
    # Given the link in a letter's QR code
    # When a phone opens it
    page = await browsers.open().get(f"/signup?code={household.code}")

    # Then the code is already typed, in the printed form
    assert input_value(await page.text(), "code") == format_code(household.code)


async def _ask_to_join(node, browser, neighbourhood_id: int, email: str):
    return await browser.post_form(
        "/join",
        {
            "neighbourhood": str(neighbourhood_id),
            "address": "Rue de Nimy 40, 7000 Mons",
            "message": "No letter reached us",
            "display_name": "Newcomer",
            "email": email,
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
    )


async def test_joining_without_a_code_waits_for_the_moderator_who_approves(
    node, browsers, household
):
    # Given Nimy's moderator
    moderator = await node.user(Role.MODERATOR, "mod@example.org", "nimy")
    nimy = household.household.neighbourhood_id
    newcomer = browsers.open()

    # When someone without a code asks to join Nimy
    sent = await _ask_to_join(node, newcomer, nimy, "newcomer@example.org")

    # Then they are told to wait, and cannot sign in yet
    assert sent.status == 200
    refused = await newcomer.post_form(
        "/login", {"email": "newcomer@example.org", "password": PASSWORD}
    )
    assert refused.status == 403
    assert "waiting for a moderator" in await refused.text()

    # When the moderator opens the requests to join and approves it
    mod = browsers.open()
    await mod.login(moderator.email)
    page = await mod.get("/moderation/join-requests")
    html = await page.text()
    assert "Newcomer" in html
    assert "Rue de Nimy 40, 7000 Mons" in html
    assert "No letter reached us" in html
    (request_id,) = re.findall(r'action="/moderation/join-requests/(\d+)"', html)
    decided = await mod.post_form(
        f"/moderation/join-requests/{request_id}", {"decision": "approve"}
    )
    assert decided.status == 303
    after = await mod.get(decided.headers["Location"])
    assert "Approved: the neighbour can now sign in." in await after.text()
    assert "Newcomer" not in (await (await mod.get("/moderation/join-requests")).text())

    # Then the newcomer signs in, into Nimy
    response = await newcomer.login("newcomer@example.org")
    assert response.headers["Location"] == "/neighbourhood"
    home = await newcomer.get("/neighbourhood")
    assert "<h1>Nimy</h1>" in await home.text()


async def test_a_declined_request_cannot_sign_in(node, browsers, household):
    # Given someone asked to join Nimy
    moderator = await node.user(Role.MODERATOR, "mod@example.org", "nimy")
    newcomer = browsers.open()
    await _ask_to_join(node, newcomer, household.household.neighbourhood_id, "no@example.org")
    (request,) = await node.accounts.open_join_requests(moderator)

    # When Nimy's moderator declines it
    mod = browsers.open()
    await mod.login(moderator.email)
    decided = await mod.post_form(
        f"/moderation/join-requests/{request.id}", {"decision": "decline"}
    )
    assert decided.status == 303

    # Then the person cannot sign in, and the account is marked declined
    response = await newcomer.post_form("/login", {"email": "no@example.org", "password": PASSWORD})
    assert response.status == 403
    assert "This account cannot sign in." in await response.text()
    assert newcomer.cookie(SESSION_COOKIE) is None
    assert (await node.accounts.user_by_email("no@example.org")).status is UserStatus.DECLINED


async def test_asking_to_join_without_a_valid_neighbourhood_keeps_what_was_typed(
    node, browsers, household
):
    # A neighbourhood left unchosen, or mangled on its way (a digit-like symbol, an absurd id)
    for neighbourhood in ["", "²", "9" * 25]:
        # Given someone whose form arrives without a neighbourhood the node knows
        response = await browsers.open().post_form(
            "/join",
            {
                "neighbourhood": neighbourhood,
                "address": "Rue de Nimy 40, 7000 Mons",
                "message": "Hello",
                "display_name": "Newcomer",
                "email": "newcomer@example.org",
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            },
        )

        # Then the form asks for it beside the field and keeps all but the passwords
        html = await response.text()
        assert response.status == 400, neighbourhood
        assert field_errors(html) == {"neighbourhood": "Choose the neighbourhood you live in."}
        assert input_value(html, "address") == "Rue de Nimy 40, 7000 Mons"
        assert input_value(html, "email") == "newcomer@example.org"
        assert input_value(html, "password") is None
        assert ">Hello</textarea>" in html
    assert await node.accounts.user_by_email("newcomer@example.org") is None
