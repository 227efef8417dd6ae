"""Moderation as residents and moderators meet it: reporting, the queue, members, rules, log.

Posts and comments are written straight into the tables (migration 0002) so these tests do
not depend on the posting pages.
"""

from __future__ import annotations

import time

import pytest

from node.api.app_keys import DATABASE
from node.models import Role
from tests.api.browser import field_errors

TITLE = "Free sofa, come and get it"
BODY = "You are all idiots on this street zq7-unique"


async def _sql(node, sql: str, params: tuple = ()) -> list[tuple]:
    def run(conn):
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    return await node.client.app[DATABASE].write("test_sql", run)


async def insert_post(node, neighbourhood_id: int, author_id: int, title=TITLE, body=BODY) -> int:
    def insert(conn):
        return conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, title, body, body_html,"
            " created_at) VALUES (?, ?, 'general', ?, ?, ?, ?)",
            (neighbourhood_id, author_id, title, body, f"<p>{body}</p>", int(time.time())),
        ).lastrowid

    return await node.client.app[DATABASE].write("test_insert_post", insert)


async def insert_comment(node, post_id: int, author_id: int, body: str) -> int:
    def insert(conn):
        comment_id = conn.execute(
            "INSERT INTO comments (post_id, author_id, body, body_html, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (post_id, author_id, body, f"<p>{body}</p>", int(time.time())),
        ).lastrowid
        conn.execute("UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?", (post_id,))
        return comment_id

    return await node.client.app[DATABASE].write("test_insert_comment", insert)


@pytest.fixture
async def town(node):
    """Two neighbourhoods; in Centre an author, a reporter and a moderator; in Nord a moderator."""
    centre = await node.register.create_neighbourhood("Centre")
    nord = await node.register.create_neighbourhood("Nord")
    people = {
        "author": await node.user(Role.RESIDENT, "author@example.org", "centre"),
        "reporter": await node.user(Role.RESIDENT, "reporter@example.org", "centre"),
        "moderator": await node.user(Role.MODERATOR, "mod@example.org", "centre"),
        "other_moderator": await node.user(Role.MODERATOR, "mod-nord@example.org", "nord"),
    }
    return centre, nord, people


async def test_a_report_reaches_the_moderator_who_hides_the_post(node, browsers, town):
    # Given a post by a resident of Centre
    centre, _, people = town
    post_id = await insert_post(node, centre.id, people["author"].id)
    reporter = browsers.open()
    await reporter.login(people["reporter"].email)

    # When a neighbour reports it as insulting
    form = await reporter.get(f"/posts/{post_id}/report")
    assert form.status == 200
    assert "Insulting or hateful" in await form.text()
    sent = await reporter.post_form(
        f"/posts/{post_id}/report", {"reason": "insulting", "details": "Rude to everyone"}
    )
    assert sent.status == 303
    confirmation = await reporter.get(sent.headers["Location"])

    # Then they are told a moderator will look at it, and Centre's moderator is notified
    assert "A moderator of the neighbourhood will look at it." in await confirmation.text()
    notified = await _sql(node, "SELECT user_id, post_id FROM notifications WHERE kind = 'report'")
    assert notified == [(people["moderator"].id, post_id)]

    # And reporting it again makes no second report
    again = await reporter.post_form(f"/posts/{post_id}/report", {"reason": "spam"})
    assert "You had already reported this." in await again.text()
    assert await _sql(node, "SELECT count(*) FROM reports") == [(1,)]

    # When Centre's moderator opens the queue
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)
    queue = await moderator.get("/moderation")
    html = await queue.text()

    # Then the post is there with its text, the count and the reason
    assert queue.status == 200
    assert TITLE in html and BODY in html
    assert "1 report" in html
    assert "Insulting or hateful" in html and "Rude to everyone" in html

    # When they hide it
    hidden = await moderator.post_form(
        f"/moderation/posts/{post_id}", {"action": "hide", "note": "insults"}
    )
    assert hidden.status == 303

    # Then residents no longer see it, its report is closed and the log says so
    assert await _sql(node, "SELECT status FROM posts WHERE id = ?", (post_id,)) == [("hidden",)]
    assert await _sql(node, "SELECT outcome FROM reports") == [("hidden",)]
    assert (await reporter.get(f"/posts/{post_id}/report")).status == 404
    if any(r.resource.canonical == "/posts/{id}" for r in node.client.app.router.routes()):
        assert (await reporter.get(f"/posts/{post_id}")).status == 404
    assert BODY not in await (await moderator.get("/moderation")).text()
    log = await (await moderator.get("/moderation/log")).text()
    assert "Hid a post" in log and "insults" in log and "Moderator centre" in log

    # And restoring brings it back
    await moderator.post_form(f"/moderation/posts/{post_id}", {"action": "restore"})
    assert await _sql(node, "SELECT status FROM posts WHERE id = ?", (post_id,)) == [("visible",)]


async def test_another_neighbourhoods_moderator_sees_and_touches_nothing(node, browsers, town):
    # Given a reported post in Centre
    centre, _, people = town
    post_id = await insert_post(node, centre.id, people["author"].id)
    await node.client.app[DATABASE].write(
        "report",
        lambda conn: conn.execute(
            "INSERT INTO reports (neighbourhood_id, post_id, reporter_id, reason, created_at)"
            " VALUES (?, ?, ?, 'spam', 1)",
            (centre.id, post_id, people["reporter"].id),
        ),
    )
    nord = browsers.open()
    await nord.login(people["other_moderator"].email)

    # When Nord's moderator looks at their queue and members, and tries to act on Centre's
    queue = await (await nord.get("/moderation")).text()
    members = await (await nord.get("/moderation/members")).text()
    hide = await nord.post_form(f"/moderation/posts/{post_id}", {"action": "hide"})
    member = await nord.get(f"/moderation/members/{people['author'].id}")
    suspend = await nord.post_form(
        f"/moderation/members/{people['author'].id}", {"action": "suspend"}
    )

    # Then nothing of Centre shows and every action is refused as not found
    assert TITLE not in queue and BODY not in queue
    assert "Author centre" not in members and "Resident centre" not in members
    assert (hide.status, member.status, suspend.status) == (404, 404, 404)
    assert await _sql(node, "SELECT status FROM posts") == [("visible",)]
    assert await _sql(node, "SELECT status FROM users WHERE id = ?", (people["author"].id,)) == [
        ("active",)
    ]


async def test_residents_and_city_staff_are_kept_out_of_moderation(node, browsers, town):
    # Given a resident and a member of city staff, signed in
    _, _, people = town
    staff = await node.user(Role.CITY_STAFF, "staff@example.org")
    for email in (people["reporter"].email, staff.email):
        browser = browsers.open()
        await browser.login(email)

        # When they open any moderation page or post a moderation form
        for path in ("/moderation", "/moderation/members", "/moderation/log", "/moderation/rules"):
            # Then they are refused
            assert (await browser.get(path)).status == 403, (email, path)
        refused = await browser.post_form("/moderation/posts/1", {"action": "hide"})
        assert refused.status == 403

    # And city staff cannot report or read house rules either: those are residents' pages
    assert (await browser.get("/rules")).status == 403
    assert (await browser.get("/posts/1/report")).status == 403


async def test_a_suspended_member_is_signed_out_at_once(node, browsers, town):
    # Given the author, signed in on their phone
    _, _, people = town
    phone = browsers.open()
    await phone.login(people["author"].email)
    assert (await phone.get("/neighbourhood")).status == 200
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)

    # When the moderator suspends them
    response = await moderator.post_form(
        f"/moderation/members/{people['author'].id}", {"action": "suspend", "note": "spam"}
    )
    assert response.status == 303
    page = await (await moderator.get(response.headers["Location"])).text()
    assert "The member is suspended" in page

    # Then the author's next request finds them signed out, and they cannot sign in again
    after = await phone.get("/neighbourhood")
    assert after.status == 303 and after.headers["Location"].startswith("/login")
    assert await _sql(
        node, "SELECT count(*) FROM sessions WHERE user_id = ?", (people["author"].id,)
    ) == [(0,)]
    again = await phone.post_form(
        "/login", {"email": people["author"].email, "password": "correct horse battery"}
    )
    assert again.status == 403

    # And the member list shows them as suspended; lifting it lets them in again
    members = await (await moderator.get("/moderation/members")).text()
    assert "Suspended" in members
    await moderator.post_form(f"/moderation/members/{people['author'].id}", {"action": "unsuspend"})
    await phone.login(people["author"].email)


async def test_a_moderator_cannot_suspend_a_moderator_or_themselves(node, browsers, town):
    # Given two moderators of Centre
    _, _, people = town
    second = await node.user(Role.MODERATOR, "mod2@example.org", "centre")
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)

    # When one tries to suspend the other, or themselves
    other = await moderator.post_form(f"/moderation/members/{second.id}", {"action": "suspend"})
    own = await moderator.post_form(
        f"/moderation/members/{people['moderator'].id}", {"action": "suspend"}
    )

    # Then both are refused and both stay active
    assert other.status == 403
    assert "Only an administrator can suspend" in await other.text()
    assert own.status == 403
    assert await _sql(node, "SELECT DISTINCT status FROM users") == [("active",)]


async def test_a_warning_reaches_the_member(node, browsers, town):
    # Given a moderator on a member's page
    _, _, people = town
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)
    path = f"/moderation/members/{people['author'].id}"

    # When they send a warning without a message
    empty = await moderator.post_form(path, {"action": "warn", "note": "  "})

    # Then the message field says what is missing
    assert empty.status == 400
    assert field_errors(await empty.text()) == {"note": "Write a few words for the member."}

    # When they write one
    sent = await moderator.post_form(path, {"action": "warn", "note": "Please stay polite."})
    assert sent.status == 303

    # Then the member has a warning notification and can read it; the log keeps it
    notes = await _sql(node, "SELECT user_id, actor_id FROM notifications WHERE kind = 'warning'")
    assert notes == [(people["author"].id, people["moderator"].id)]
    member = browsers.open()
    await member.login(people["author"].email)
    assert "Please stay polite." in await (await member.get("/account/warnings")).text()
    log = await (await moderator.get("/moderation/log")).text()
    assert "Warned a member" in log and "Please stay polite." in log


async def test_hiding_a_comment_keeps_the_comment_count_exact(node, browsers, town):
    # Given a post with two comments, one of them reported
    centre, _, people = town
    post_id = await insert_post(node, centre.id, people["author"].id, body="Nice day")
    await insert_comment(node, post_id, people["author"].id, "Indeed")
    comment_id = await insert_comment(node, post_id, people["author"].id, "Buy cheap pills zq8")
    reporter = browsers.open()
    await reporter.login(people["reporter"].email)
    reported = await reporter.post_form(f"/comments/{comment_id}/report", {"reason": "spam"})
    assert reported.status == 303

    # When the moderator hides the comment from the queue
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)
    assert "Buy cheap pills zq8" in await (await moderator.get("/moderation")).text()
    await moderator.post_form(f"/moderation/comments/{comment_id}", {"action": "hide"})

    # Then it is hidden and the post counts one comment
    assert await _sql(node, "SELECT status FROM comments WHERE id = ?", (comment_id,)) == [
        ("hidden",)
    ]
    assert await _sql(node, "SELECT comment_count FROM posts") == [(1,)]
    assert (await reporter.get(f"/comments/{comment_id}/report")).status == 404


async def test_house_rules_are_edited_by_moderators_and_shown_safely(node, browsers, town):
    # Given a resident who opens the rules before any were written
    _, _, people = town
    resident = browsers.open()
    await resident.login(people["reporter"].email)
    default = await (await resident.get("/rules")).text()
    assert "A few rules keep it pleasant for everyone" in default

    # When the moderator writes rules with formatting, a script and a javascript: link
    moderator = browsers.open()
    await moderator.login(people["moderator"].email)
    saved = await moderator.post_form(
        "/moderation/rules",
        {
            "body": "**Be kind.**\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1))"
            "\n\n[town hall](https://example.org)"
        },
    )
    assert saved.status == 303

    # Then residents see the formatted rules, with no script and no javascript: link
    page = await (await resident.get("/rules")).text()
    assert "<strong>Be kind.</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert 'href="https://example.org"' in page
    assert "A few rules keep it pleasant" not in page

    # And the change is in the log
    assert "Edited the house rules" in await (await moderator.get("/moderation/log")).text()


async def test_an_admin_moderates_every_neighbourhood(node, browsers, town):
    # Given reports in Centre and Nord, and an admin
    centre, nord, people = town
    centre_post = await insert_post(node, centre.id, people["author"].id, title="Centre post")
    nord_post = await insert_post(node, nord.id, None, title="Nord post")
    for neighbourhood_id, post_id in ((centre.id, centre_post), (nord.id, nord_post)):
        await _sql(
            node,
            "INSERT INTO reports (neighbourhood_id, post_id, reason, created_at)"
            " VALUES (?, ?, 'spam', 1)",
            (neighbourhood_id, post_id),
        )
    admin = await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login(admin.email)

    # When they open the queue, then filter it on Nord
    everything = await (await browser.get("/moderation")).text()
    only_nord = await (await browser.get(f"/moderation?neighbourhood={nord.id}")).text()

    # Then they see both, then only Nord's; and they may hide Nord's post
    assert "Centre post" in everything and "Nord post" in everything
    assert "Nord post" in only_nord and "Centre post" not in only_nord
    hidden = await browser.post_form(f"/moderation/posts/{nord_post}", {"action": "hide"})
    assert hidden.status == 303
    assert hidden.headers["Location"].startswith("/moderation")
