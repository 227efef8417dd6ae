"""A resident's privacy rights: downloading their data and deleting their account."""

from __future__ import annotations

import json
import re
import time

import pytest

from node.api.app_keys import DATABASE
from node.models import Role
from tests.api.browser import field_errors
from tests.conftest import PASSWORD


async def _sql(node, sql: str, params: tuple = ()) -> list[tuple]:
    def run(conn):
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    return await node.client.app[DATABASE].write("test_sql", run)


async def insert_post(node, neighbourhood_id: int, author_id: int | None, body: str) -> int:
    def insert(conn):
        return conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, title, body, body_html,"
            " created_at) VALUES (?, ?, 'general', 'A post', ?, ?, ?)",
            (neighbourhood_id, author_id, body, f"<p>{body}</p>", int(time.time())),
        ).lastrowid

    return await node.client.app[DATABASE].write("test_insert_post", insert)


async def react(node, post_id: int, user_id: int, kind: str) -> None:
    """A reaction with its counter, as the posts area writes them."""
    await _sql(
        node,
        "INSERT INTO reactions (post_id, user_id, kind, created_at) VALUES (?, ?, ?, 1)",
        (post_id, user_id, kind),
    )
    await _sql(node, f"UPDATE posts SET {kind}_count = {kind}_count + 1 WHERE id = ?", (post_id,))


@pytest.fixture
async def neighbours(node):
    """Centre, with Alice (who will leave) and Bob."""
    centre = await node.register.create_neighbourhood("Centre")
    alice = await node.user(Role.RESIDENT, "alice@example.org", "centre")
    bob = await node.user(Role.RESIDENT, "bob-secret-address@example.org", "centre")
    return centre, alice, bob


async def test_the_data_export_holds_my_posts_and_messages_but_not_others_addresses(
    node, browsers, neighbours
):
    # Given Alice wrote a post, sent Bob a message and received one back
    centre, alice, bob = neighbours
    await insert_post(node, centre.id, alice.id, "My tomato seedlings zq9")
    await insert_post(node, centre.id, bob.id, "Bob's own post zq10")
    await _sql(
        node,
        "INSERT INTO messages (sender_id, recipient_id, body, created_at) VALUES"
        " (?, ?, 'Want some seedlings? zq11', 1), (?, ?, 'Yes please zq12', 2)",
        (alice.id, bob.id, bob.id, alice.id),
    )
    browser = browsers.open()
    await browser.login(alice.email)

    # When she downloads her data
    page = await browser.get("/account/data")
    assert page.status == 200
    response = await browser.get("/account/data.json")
    text = await response.text()
    data = json.loads(text)

    # Then it is a file with her post and both messages, Bob by name only
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert data["account"]["email"] == alice.email
    assert "password_hash" not in text
    assert [p["body"] for p in data["posts"]] == ["My tomato seedlings zq9"]
    assert data["messages_sent"][0]["body"] == "Want some seedlings? zq11"
    assert data["messages_sent"][0]["recipient"] == bob.display_name
    assert data["messages_received"][0]["body"] == "Yes please zq12"
    assert data["neighbourhood"]["name"] == "Centre"
    assert "bob-secret-address" not in text
    assert "zq10" not in text

    # And the API gives the same document
    api = await browser.get("/api/v1/me/data", headers=await node.api_token(alice))
    assert (await api.json())["posts"] == data["posts"]


async def test_deleting_with_anonymise_keeps_posts_without_their_author(node, browsers, neighbours):
    # Given Alice with a post, a comment, a message to Bob and reactions on Bob's post
    centre, alice, bob = neighbours
    alices_post = await insert_post(node, centre.id, alice.id, "Lost cat zq13")
    bobs_post = await insert_post(node, centre.id, bob.id, "Street party zq14")
    await _sql(
        node,
        "INSERT INTO comments (post_id, author_id, body, body_html, created_at)"
        " VALUES (?, ?, 'Count me in', '<p>Count me in</p>', 1)",
        (bobs_post, alice.id),
    )
    await _sql(
        node,
        "INSERT INTO messages (sender_id, recipient_id, body, created_at)"
        " VALUES (?, ?, 'Hello Bob', 1)",
        (alice.id, bob.id),
    )
    await react(node, bobs_post, alice.id, "like")
    await react(node, bobs_post, alice.id, "thanks")
    await react(node, bobs_post, bob.id, "like")
    browser = browsers.open()
    await browser.login(alice.email)

    # When she deletes her account and keeps her posts anonymised
    page = await browser.get("/account/delete")
    assert "shown as from “a former neighbour”" in await page.text()
    response = await browser.post_form(
        "/account/delete", {"content": "anonymise", "password": PASSWORD}
    )

    # Then she is signed out and her account is gone
    assert response.status == 303
    assert response.headers["Location"] == "/account/deleted"
    assert (await browser.get("/account")).status == 303
    assert await _sql(node, "SELECT id FROM users WHERE id = ?", (alice.id,)) == []

    # And her post and comment stay, by nobody; Bob keeps her message
    assert await _sql(
        node, "SELECT author_id, body, status FROM posts WHERE id = ?", (alices_post,)
    ) == [(None, "Lost cat zq13", "visible")]
    assert await _sql(node, "SELECT author_id, body FROM comments") == [(None, "Count me in")]
    assert await _sql(node, "SELECT sender_id, recipient_id, body FROM messages") == [
        (None, bob.id, "Hello Bob")
    ]

    # And Bob's post counts only Bob's own reaction
    assert await _sql(
        node, "SELECT like_count, thanks_count FROM posts WHERE id = ?", (bobs_post,)
    ) == [(1, 0)]
    assert await _sql(node, "SELECT user_id, kind FROM reactions") == [(bob.id, "like")]


async def test_deleting_with_remove_deletes_posts_comments_and_photos(node, browsers, neighbours):
    # Given Alice's post with a photo, and her comment on Bob's post
    centre, alice, bob = neighbours
    post_id = await insert_post(node, centre.id, alice.id, "Selling my bike zq15")
    bobs_post = await insert_post(node, centre.id, bob.id, "Street party")
    await _sql(
        node,
        "INSERT INTO comments (post_id, author_id, body, body_html, created_at)"
        " VALUES (?, ?, 'Me too zq16', '<p>Me too zq16</p>', 1)",
        (bobs_post, alice.id),
    )
    await _sql(node, "UPDATE posts SET comment_count = 1 WHERE id = ?", (bobs_post,))
    uploads = node.config.uploads_dir
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "bike.jpg").write_bytes(b"jpeg")
    (uploads / "bike-thumb.jpg").write_bytes(b"jpeg")
    await _sql(
        node,
        "INSERT INTO post_photos (post_id, position, file_name, thumb_name, width, height)"
        " VALUES (?, 0, 'bike.jpg', 'bike-thumb.jpg', 10, 10)",
        (post_id,),
    )
    browser = browsers.open()
    await browser.login(alice.email)

    # When she deletes her account and removes her content
    response = await browser.post_form(
        "/account/delete", {"content": "remove", "password": PASSWORD}
    )
    assert response.status == 303

    # Then her post and comment are emptied and deleted, and the photo files are gone
    assert await _sql(node, "SELECT status, title, body FROM posts WHERE id = ?", (post_id,)) == [
        ("deleted", "", "")
    ]
    assert await _sql(node, "SELECT status, body FROM comments") == [("deleted", "")]
    assert await _sql(node, "SELECT comment_count FROM posts WHERE id = ?", (bobs_post,)) == [(0,)]
    assert await _sql(node, "SELECT count(*) FROM post_photos") == [(0,)]
    assert not (uploads / "bike.jpg").exists()
    assert not (uploads / "bike-thumb.jpg").exists()
    assert await _sql(node, "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'zq15'") == []


async def test_a_wrong_password_is_explained_beside_the_field(node, browsers, neighbours):
    # Given Alice on the deletion page
    _, alice, _ = neighbours
    browser = browsers.open()
    await browser.login(alice.email)

    # When she confirms with a wrong password
    response = await browser.post_form(
        "/account/delete", {"content": "anonymise", "password": "not my password"}
    )

    # Then the password field says so, her choice is kept and nothing is deleted
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {"password": "The password is not right."}
    assert 'value="anonymise" checked' in html
    assert await _sql(node, "SELECT count(*) FROM users WHERE id = ?", (alice.id,)) == [(1,)]
    assert (await browser.get("/account")).status == 200


async def test_the_last_admin_cannot_delete_themselves(node, browsers):
    # Given a node with one admin
    admin = await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login(admin.email)

    # When they open the deletion page, then send the form anyway
    page = await (await browser.get("/account/delete")).text()
    response = await browser.post_form(
        "/account/delete", {"content": "anonymise", "password": PASSWORD}
    )

    # Then both say why, and the admin is still there
    reason = "You are the only administrator of this node"
    assert reason in page
    assert response.status == 409
    assert reason in await response.text()
    assert await _sql(node, "SELECT count(*) FROM users WHERE role = 'admin'") == [(1,)]

    # And once there is a second admin, the first may leave
    await node.user(Role.ADMIN, "admin2@example.org")
    response = await browser.post_form(
        "/account/delete", {"content": "anonymise", "password": PASSWORD}
    )
    assert response.status == 303


async def test_a_moderator_who_decided_a_join_request_can_leave(node, browsers, neighbours):
    # Given a moderator who approved a request to join (a reference without ON DELETE rule)
    centre, _, _ = neighbours
    moderator = await node.user(Role.MODERATOR, "mod@example.org", "centre")
    applicant = await _sql(node, "SELECT id FROM users WHERE email = 'alice@example.org'")
    await _sql(
        node,
        "INSERT INTO join_requests (user_id, neighbourhood_id, address, created_at, decided_at,"
        " decided_by, decision) VALUES (?, ?, 'Rue 1', 1, 2, ?, 'approved')",
        (applicant[0][0], centre.id, moderator.id),
    )
    browser = browsers.open()
    await browser.login(moderator.email)

    # When they delete their account
    response = await browser.post_form(
        "/account/delete", {"content": "anonymise", "password": PASSWORD}
    )

    # Then it is gone, and the request remembers its decision without them
    assert response.status == 303
    assert await _sql(node, "SELECT decision, decided_by FROM join_requests") == [
        ("approved", None)
    ]


async def test_the_privacy_page_explains_who_sees_what(node, browsers):
    # When anyone opens the privacy page
    page = await browsers.open().get("/privacy")
    html = await page.text()

    # Then it covers neighbours, moderators, the administrator and the city
    assert page.status == 200
    for heading in ("Your neighbours", "Moderators", "The node&#39;s administrator", "The city"):
        assert heading in html


@pytest.mark.parametrize(
    ("role", "neighbourhood"),
    [
        (Role.RESIDENT, "centre"),
        (Role.MODERATOR, "centre"),
        (Role.CITY_STAFF, None),
        (Role.ADMIN, None),
    ],
)
async def test_every_link_on_my_account_page_opens(node, browsers, neighbours, role, neighbourhood):
    # City staff and admins once found "E-mail notifications" there, which answered 403.
    user = await node.user(role, f"{role.value}-links@example.org", neighbourhood)
    browser = browsers.open()
    await browser.login(user.email)
    page = await (await browser.get("/account")).text()
    links = re.findall(r'<a href="(/(?:account|notifications)[^"]*)"', page)
    assert "/account/data" in links
    assert ("/notifications/settings" in links) is (role in (Role.RESIDENT, Role.MODERATOR))
    for link in links:
        assert (await browser.get(link)).status == 200, link
