"""A resident joins with the code from their household's letter."""

from node.models import Role
from tests.conftest import PASSWORD, register_csv


async def test_resident_signs_up_with_code_and_lands_in_the_households_neighbourhood(node):
    # Given two neighbourhoods and a register
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    await node.register.import_register(
        register_csv([("Rue de Nimy", "12", "", "7000", "Mons", "nimy")])
    )
    items, _ = await node.register.household_page(None, "", 1)
    code = items[0].code

    # When a resident signs up with that code, typed in lower case with a dash
    response = await node.post_form(
        "/signup",
        {
            "code": f"{code[:5].lower()}-{code[5:]}",
            "display_name": "Anne D.",
            "email": "anne@example.org",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
    )

    # Then she is signed in, in Nimy
    assert response.status == 303
    assert response.headers["Location"].startswith("/neighbourhood")
    page = await node.client.get("/neighbourhood")
    assert "Nimy" in await page.text()
    user = await node.accounts.user_by_email("anne@example.org")
    assert user.role is Role.RESIDENT
    assert user.household_id == items[0].household.id
