"""City staff publish and withdraw announcements from the dashboard; the public page."""

from __future__ import annotations

import html

from node.api.app_keys import ANNOUNCEMENTS
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from tests.api.browser import field_errors
from tests.conftest import ENGLISH, Node


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    return Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))


async def test_staff_publish_to_chosen_neighbourhoods_and_residents_see_it(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nimy")
    await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.login("staff@mons.example")

    # A form without a target is refused, nothing typed is lost
    response = await node.post_form(
        "/city/announcements", {"title": "Water cut", "body": "Tomorrow 9-12."}
    )
    assert response.status == 400
    page = await response.text()
    assert "Choose at least one neighbourhood" in page
    assert 'value="Water cut"' in page

    response = await node.post_form(
        "/city/announcements",
        {
            "title": "Water cut",
            "body": "Tomorrow **9-12**.",
            "target": f"local:{centre.id}",
            "urgent": "on",
            "public": "on",
        },
    )
    assert response.status == 303
    listing = await (await node.client.get("/city/announcements")).text()
    assert "Water cut" in listing and "<strong>9-12</strong>" in listing

    resident_centre = await node.user(Role.RESIDENT, email="r1@example.org", neighbourhood="centre")
    resident_nimy = await node.user(Role.RESIDENT, email="r2@example.org", neighbourhood="nimy")
    service = node.client.app[ANNOUNCEMENTS]
    assert [m.title for m in await service.for_resident(resident_centre)] == ["Water cut"]
    assert await service.for_resident(resident_nimy) == []

    # The public page, for people arriving from the fediverse
    announcement = (await service.list())[0]
    uuid = announcement.object_uri.rsplit("/", 1)[1]
    node.client.session.cookie_jar.clear()
    public = await node.client.get(f"/announcements/{uuid}")
    assert public.status == 200
    assert "Water cut" in await public.text()

    # Withdrawn: gone for residents and from the public page
    await node.login("staff@mons.example")
    response = await node.post_form(f"/city/announcements/{announcement.id}/withdraw", {})
    assert response.status == 303
    assert await service.for_resident(resident_centre) == []
    node.client.session.cookie_jar.clear()
    assert (await node.client.get(f"/announcements/{uuid}")).status == 404


async def test_admin_federation_page_lists_policy_and_refuses_a_bad_host(node):
    await node.user(Role.ADMIN, email="admin@example.org")
    await node.login("admin@example.org")
    page = await node.client.get("/admin/federation")
    assert page.status == 200
    response = await node.post_form(
        "/admin/federation/hosts", {"host": "bad host/x", "policy": "allow"}
    )
    assert response.status == 400
    assert "host name" in await response.text()
    response = await node.post_form(
        "/admin/federation/hosts", {"host": "quartier.nimy.be", "policy": "block"}
    )
    assert response.status == 303
    assert "quartier.nimy.be" in await (await node.client.get("/admin/federation")).text()
    # A mistyped address, and an unreachable city, are explained beside the field
    response = await node.post_form("/admin/federation/follow", {"handle": "not-a-handle"})
    assert response.status == 400
    errors = field_errors(await response.text())
    assert html.unescape(errors["handle"]) == (
        "“not-a-handle” is not a city's address such as city@quartier.mons.be."
    )
    response = await node.post_form("/admin/federation/follow", {"handle": "city@127.0.0.1:9"})
    assert response.status == 400
    assert field_errors(await response.text())["handle"].startswith(
        "Could not reach city@127.0.0.1:9 ("
    )


async def test_staff_edit_an_announcement_and_residents_see_the_new_version(
    aiohttp_client, tmp_path
):
    node = await city_node(aiohttp_client, tmp_path)
    centre = await node.register.create_neighbourhood("Centre")
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    resident = await node.user(Role.RESIDENT, email="r1@example.org", neighbourhood="centre")
    await node.login("staff@mons.example")
    await node.post_form(
        "/city/announcements",
        {"title": "Water cut", "body": "Tomorrow 9-12.", "target": f"local:{centre.id}"},
    )
    service = node.client.app[ANNOUNCEMENTS]
    announcement = (await service.list())[0]

    # The edit form starts from what was published
    form = await (await node.client.get(f"/city/announcements/{announcement.id}/edit")).text()
    assert 'value="Water cut"' in form and "Tomorrow 9-12." in form

    # A title too short is refused beside the field, the new text is kept, nothing changes
    refused = await node.post_form(
        f"/city/announcements/{announcement.id}/edit", {"title": "W", "body": "From 10 to 13."}
    )
    assert refused.status == 400
    page = await refused.text()
    assert field_errors(page)["title"].startswith("Give")
    assert "From 10 to 13." in page
    assert [m.title for m in await service.for_resident(resident)] == ["Water cut"]

    # A good edit reaches the resident, marked urgent now
    saved = await node.post_form(
        f"/city/announcements/{announcement.id}/edit",
        {"title": "Water cut, new hours", "body": "From **10 to 13**.", "urgent": "on"},
    )
    assert saved.status == 303
    (seen,) = await service.for_resident(resident)
    assert seen.title == "Water cut, new hours" and seen.urgent
    assert "<strong>10 to 13</strong>" in seen.content_html

    # The API edits too, and refuses an unknown field with problem+json
    headers = await node.api_token(staff)
    bad = await node.client.put(
        f"/api/v1/announcements/{announcement.id}",
        json={"title": "Water cut", "body": "x", "targets": ["all"]},
        headers=headers,
    )
    assert bad.status == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    edited = await node.client.put(
        f"/api/v1/announcements/{announcement.id}",
        json={"title": "Water back on", "body": "All done."},
        headers=headers,
    )
    assert edited.status == 200
    assert (await edited.json())["title"] == "Water back on"
    (seen,) = await service.for_resident(resident)
    assert seen.title == "Water back on" and not seen.urgent
