"""Notifications as residents see them: rows made by what others do, the page, the settings."""

from __future__ import annotations

import time

import pytest

from node.api.app_keys import DATABASE, NOTIFICATIONS
from node.storage.notifications import put_notification
from tests.api.community_people import person, signed_in


@pytest.fixture
async def neighbours(node, browsers):
    await node.register.create_neighbourhood("Centre")
    anne = await person(node, "Anne", "centre")
    jean = await person(node, "Jean", "centre")
    tabs = {who.display_name.lower(): await signed_in(node, browsers, who) for who in (anne, jean)}
    return anne, jean, tabs


async def comment_on_a_post_of(node, author, commenter, title: str) -> int:
    """What the posts area does when someone comments: a post, and a notification in one write."""

    def write(conn):
        post_id = conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, offer_kind, title,"
            " created_at) VALUES (?, ?, 'offer', 'lend', ?, ?)",
            (author.neighbourhood_id, author.id, title, int(time.time())),
        ).lastrowid
        put_notification(
            conn,
            user_id=author.id,
            kind="comment",
            actor_id=commenter.id,
            now=int(time.time()),
            post_id=post_id,
        )
        return post_id

    return await node.client.app[DATABASE].write("test_comment", write)


async def test_the_page_tells_what_happened_and_marks_it_read(node, neighbours):
    anne, jean, tabs = neighbours
    notifications = node.client.app[NOTIFICATIONS]

    # Given Anne commented on Jean's post and then wrote to him
    post_id = await comment_on_a_post_of(node, jean, anne, "Ladder to lend")
    await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "Can I borrow it?"})
    assert await notifications.unread_count(jean) == 2
    assert await notifications.unread_count(anne) == 0  # nobody is told of their own acts

    # When Jean opens his notifications
    page = await tabs["jean"].get("/notifications")
    text = await page.text()

    # Then both read as sentences, newest first, linked, and marked new
    assert page.status == 200
    message_line = f'<a href="/messages/{anne.id}">New message from Anne</a>'
    comment_line = (
        f'<a href="/posts/{post_id}">Anne commented on your post &#39;Ladder to lend&#39;</a>'
    )
    assert message_line in text and comment_line in text
    assert text.index(message_line) < text.index(comment_line)
    assert text.count('class="notification notification-unread"') == 2

    # And having been seen, they are read now
    assert await notifications.unread_count(jean) == 0
    again = await (await tabs["jean"].get("/notifications")).text()
    assert "notification-unread" not in again


async def test_opening_the_conversation_reads_its_notification(node, neighbours):
    anne, jean, tabs = neighbours
    await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "Hello"})
    assert await node.client.app[NOTIFICATIONS].unread_count(jean) == 1

    await tabs["jean"].get(f"/messages/{anne.id}")

    assert await node.client.app[NOTIFICATIONS].unread_count(jean) == 0


async def test_the_email_setting_defaults_to_immediate_and_can_change(node, neighbours):
    _, jean, tabs = neighbours

    form = await (await tabs["jean"].get("/notifications/settings")).text()
    assert 'value="immediate" checked' in form

    saved = await tabs["jean"].post_form("/notifications/settings", {"email_mode": "digest"})
    wrong = await tabs["jean"].post_form("/notifications/settings", {"email_mode": "hourly"})

    assert saved.status == 303
    assert wrong.status == 400
    assert "Choose how you want to receive e-mail." in await wrong.text()
    form = await (await tabs["jean"].get("/notifications/settings")).text()
    assert 'value="digest" checked' in form
    api = await tabs["jean"].request(
        "GET", "/api/v1/notifications/settings", headers=await node.api_token(jean)
    )
    assert await api.json() == {"email_mode": "digest"}
