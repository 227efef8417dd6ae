"""The moderation service's own rules: who may report what, whose moderators hear of it, and
who may act on whom, whatever page or API call asks."""

from __future__ import annotations

import time

import pytest

from node.api.app_keys import DATABASE, MODERATION
from node.errors import Conflict, Forbidden, InvalidInput, NotFound
from node.models import Role
from node.models.moderation import ItemKind


async def _sql(node, sql: str, params: tuple = ()) -> list[tuple]:
    def run(conn):
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    return await node.client.app[DATABASE].write("test_sql", run)


async def _post(node, neighbourhood_id: int, author_id: int, shared: bool = False) -> int:
    def insert(conn):
        return conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, title, body, body_html,"
            " shared_with_adjacent, created_at) VALUES (?, ?, 'tip', 'Road works', 'Detour',"
            " '<p>Detour</p>', ?, ?)",
            (neighbourhood_id, author_id, int(shared), int(time.time())),
        ).lastrowid

    return await node.client.app[DATABASE].write("test_post", insert)


@pytest.fixture
async def world(node):
    centre = await node.register.create_neighbourhood("Centre")
    nord = await node.register.create_neighbourhood("Nord")
    await node.register.create_neighbourhood("Sud")
    await _sql(
        node,
        "INSERT INTO neighbourhood_adjacency VALUES (?, ?), (?, ?)",
        (centre.id, nord.id, nord.id, centre.id),
    )
    return {
        "centre": centre,
        "nord": nord,
        "author": await node.user(Role.RESIDENT, "author@example.org", "centre"),
        "north_resident": await node.user(Role.RESIDENT, "north@example.org", "nord"),
        "moderator": await node.user(Role.MODERATOR, "mod@example.org", "centre"),
    }


async def test_a_shared_post_is_reported_to_its_own_neighbourhoods_moderators(node, world):
    # Given a Centre post shared with nearby neighbourhoods, Nord being one of them
    moderation = node.client.app[MODERATION]
    shared = await _post(node, world["centre"].id, world["author"].id, shared=True)
    private = await _post(node, world["centre"].id, world["author"].id)

    south_resident = await node.user(Role.RESIDENT, "south@example.org", "sud")

    # When a resident of Nord reports the shared post
    report = await moderation.report(world["north_resident"], ItemKind.POST, shared, "spam", "")

    # Then the report belongs to Centre, whose moderator is notified and sees it queued
    assert report.neighbourhood_id == world["centre"].id
    assert await _sql(node, "SELECT user_id FROM notifications") == [(world["moderator"].id,)]
    queue = await moderation.queue(world["moderator"])
    assert [(item.kind, item.id) for item in queue] == [(ItemKind.POST, shared)]

    # And neither the unshared post, nor anything for a resident of a far neighbourhood,
    # can be reported: as far as they know, it does not exist
    with pytest.raises(NotFound):
        await moderation.report(world["north_resident"], ItemKind.POST, private, "spam", "")
    with pytest.raises(NotFound):
        await moderation.report(south_resident, ItemKind.POST, shared, "spam", "")


async def test_reports_are_validated_single_and_about_live_items(node, world):
    moderation = node.client.app[MODERATION]
    post = await _post(node, world["centre"].id, world["author"].id)

    with pytest.raises(InvalidInput) as unknown:
        await moderation.report(world["moderator"], ItemKind.POST, post, "boring", "x" * 501)
    assert set(unknown.value.fields) == {"reason", "details"}
    with pytest.raises(InvalidInput) as other:
        await moderation.report(world["moderator"], ItemKind.POST, post, "other", " ")
    assert set(other.value.fields) == {"details"}

    await moderation.report(world["moderator"], ItemKind.POST, post, "off_topic", "")
    with pytest.raises(Conflict):
        await moderation.report(world["moderator"], ItemKind.POST, post, "spam", "")

    # An item deleted by its author can no longer be reported or moderated.
    await _sql(node, "UPDATE posts SET status = 'deleted' WHERE id = ?", (post,))
    with pytest.raises(NotFound):
        await moderation.report(world["author"], ItemKind.POST, post, "spam", "")
    with pytest.raises(NotFound):
        await moderation.act_on_item(world["moderator"], ItemKind.POST, post, "restore")


async def test_only_moderators_and_admins_moderate(node, world):
    moderation = node.client.app[MODERATION]
    staff = await node.user(Role.CITY_STAFF, "staff@example.org")
    post = await _post(node, world["centre"].id, world["author"].id)
    for outsider in (world["author"], staff):
        with pytest.raises(Forbidden):
            await moderation.queue(outsider)
        with pytest.raises(Forbidden):
            await moderation.act_on_item(outsider, ItemKind.POST, post, "hide")
        with pytest.raises(Forbidden):
            await moderation.log(outsider)
    # City staff are not residents: they cannot report either.
    with pytest.raises(Forbidden):
        await moderation.report(staff, ItemKind.POST, post, "spam", "")


async def test_an_admin_may_suspend_a_moderator_but_a_moderator_not_an_admin(node, world):
    moderation = node.client.app[MODERATION]
    admin = await node.user(Role.ADMIN, "admin@example.org")

    with pytest.raises(Forbidden):
        await moderation.act_on_member(world["moderator"], admin.id, "suspend")
    suspended = await moderation.act_on_member(admin, world["moderator"].id, "suspend", "absent")
    assert suspended.status.value == "suspended"
    with pytest.raises(Conflict):
        await moderation.act_on_member(admin, world["moderator"].id, "suspend")
    # A suspended moderator has no moderator powers left.
    suspended_user = await node.accounts.user_by_email(world["moderator"].email)
    with pytest.raises(Forbidden):
        await moderation.queue(suspended_user)
