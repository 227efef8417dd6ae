"""A resident's whole day with posts, through the pages and through the JSON API."""

from __future__ import annotations

import re

from node.models import Role
from tests.api.browser import field_errors
from tests.api.posts_support import database, neighbourhoods, posts_of, resident, signed_in
from tests.api.test_json_api import Api


def _notifications(node) -> list[tuple[int, str, int]]:
    with database(node) as conn:
        return conn.execute(
            "SELECT user_id, kind, actor_id FROM notifications ORDER BY id"
        ).fetchall()


async def test_a_help_request_from_asking_to_resolved_through_the_pages(node, browsers):
    # Given Alice and Bob, neighbours in Centre
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    bob = await signed_in(browsers, place.bob)

    # When Alice asks for help on the "Write a post" page
    form = await alice.get("/posts/new?category=help_request")
    assert 'value="help_request" checked' in await form.text()
    created = await alice.post_form(
        "/posts",
        {"category": "help_request", "title": "Who can lend a ladder?", "body": "Just **1 day**."},
    )
    assert created.status == 303
    post_path = created.headers["Location"]
    post_id = int(post_path.rsplit("/", 1)[1])

    # Then Bob sees it in his feed, with its category and Alice's name
    feed = await (await bob.get("/neighbourhood")).text()
    assert "Who can lend a ladder?" in feed
    assert "Help request" in feed and "Alice" in feed

    # Before anyone answered, Alice may still say who helped: a field of its own, not an
    # "or" after a list of neighbours that is not there
    own = await (await alice.get(post_path)).text()
    assert "Name of the neighbour who helped (optional)" in own and "Or type" not in own

    # When Bob comments and thanks her, and Alice answers
    commented = await bob.post_form(f"{post_path}/comments", {"body": "Mine is in the shed."})
    assert commented.status == 303
    await bob.post_form(f"{post_path}/reactions", {"kind": "thanks"})
    await alice.post_form(f"{post_path}/comments", {"body": "Great, thanks!"})

    # Then the post page shows both comments, the rendered body and the counts
    page = await (await bob.get(post_path)).text()
    assert "<strong>1 day</strong>" in page
    assert page.index("Mine is in the shed.") < page.index("Great, thanks!")
    assert re.search(r'aria-pressed="true">Thanks <span class="reaction-count">1</span>', page)

    # And Alice was told of the comment and the thanks, Bob of her reply; nobody of their own
    assert _notifications(node) == [
        (place.alice.id, "comment", place.bob.id),
        (place.alice.id, "reaction", place.bob.id),
        (place.bob.id, "reply", place.alice.id),
    ]

    # When Alice marks it resolved, naming Bob among those who answered
    page = await (await alice.get(post_path)).text()
    assert f'<option value="{place.bob.id}">Bob</option>' in page
    assert "Or type the name of the neighbour who helped (optional)" in page
    resolved = await alice.post_form(f"{post_path}/resolve", {"helper_id": str(place.bob.id)})
    assert resolved.status == 303

    # Then everyone sees it resolved, Bob is thanked, and the statistics count it
    page = await (await bob.get(post_path)).text()
    assert "Bob helped. Thank you!" in page
    feed = await (await bob.get("/neighbourhood")).text()
    assert 'class="tag tag-resolved">Resolved<' in feed
    assert _notifications(node)[-1] == (place.bob.id, "thanked", place.alice.id)
    counts = {c.neighbourhood_id: c for c in await posts_of(node).help_request_counts()}
    assert (counts[place.centre_id].total, counts[place.centre_id].resolved) == (1, 1)
    assert counts[place.centre_id].with_helper == 1

    # When Bob edits then deletes his comment, and Alice deletes her post
    comment_id = int(re.search(r'id="comment-(\d+)"', page).group(1))
    edited = await bob.post_form(f"/comments/{comment_id}/edit", {"body": "It is in the shed."})
    assert edited.status == 303
    assert "It is in the shed." in await (await bob.get(post_path)).text()
    await bob.post_form(f"/comments/{comment_id}/delete")
    assert "It is in the shed." not in await (await bob.get(post_path)).text()
    assert (await alice.get(f"{post_path}/delete")).status == 200
    deleted = await alice.post_form(f"{post_path}/delete")
    assert deleted.headers["Location"] == "/neighbourhood?notice=deleted"

    # Then the post is gone for everyone, and its text is no longer stored
    assert (await bob.get(post_path)).status == 404
    assert "Who can lend a ladder?" not in await (await bob.get("/neighbourhood")).text()
    with database(node) as conn:
        row = conn.execute("SELECT status, title, body FROM posts WHERE id = ?", (post_id,))
        assert row.fetchone() == ("deleted", "", "")


async def test_only_the_author_changes_a_post_and_a_bad_edit_keeps_what_was_typed(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    bob = await signed_in(browsers, place.bob)
    created = await alice.post_form("/posts", {"category": "tip", "title": "Market on Sunday"})
    path = created.headers["Location"]

    # When Bob tries to edit or delete Alice's post
    assert (await bob.get(f"{path}/edit")).status == 403
    assert (await bob.post_form(f"{path}/edit", {"category": "tip", "title": "x"})).status == 403
    assert (await bob.post_form(f"{path}/delete")).status == 403

    # When Alice empties the title of her post
    response = await alice.post_form(
        f"{path}/edit", {"category": "tip", "title": " ", "body": "Fresh bread from 8."}
    )

    # Then the message is beside the field and her text is still in the form
    assert response.status == 400
    html = await response.text()
    assert field_errors(html) == {"title": "Give your post a title."}
    assert "Fresh bread from 8.</textarea>" in html

    # When she makes a proper edit, the post changes and says it was edited
    await alice.post_form(f"{path}/edit", {"category": "tip", "title": "Market on Saturday"})
    page = await (await bob.get(path)).text()
    assert "Market on Saturday" in page and "edited" in page


async def test_the_whole_flow_through_the_api_matches_the_openapi_document(node):
    # Given two residents of Centre, Nord adjacent, and their tokens
    place = await neighbourhoods(node)
    doc = await (await node.client.get("/api/v1/openapi.json")).json()
    alice = Api(node, doc, await node.api_token(place.alice))
    bob = Api(node, doc, await node.api_token(place.bob))
    admin = Api(
        node, doc, await node.api_token(await node.accounts.user_by_email("admin@example.org"))
    )

    # When an admin reads and sets adjacency
    adjacent = await admin.call(
        "GET", "/api/v1/neighbourhoods/{id}/adjacent", 200, ids={"id": place.centre_id}
    )
    assert (await adjacent.json())["adjacent"] == [place.nord_id]
    await admin.call(
        "PUT",
        "/api/v1/neighbourhoods/{id}/adjacent",
        200,
        ids={"id": place.centre_id},
        json={"adjacent": [place.nord_id]},
    )

    # And Alice asks for help, shared with Nord, and announces an event
    created = await alice.call(
        "POST",
        "/api/v1/posts",
        201,
        json={
            "category": "help_request",
            "title": "Moving boxes",
            "body": "Saturday *morning*",
            "shared_with_adjacent": True,
        },
    )
    post = await created.json()
    assert (
        post["shared_with_adjacent"] is True
        and post["body_html"] == "<p>Saturday <em>morning</em></p>\n"
    )
    starts = 4_102_444_800  # 2100: always upcoming
    event = await (
        await alice.call(
            "POST",
            "/api/v1/posts",
            201,
            json={
                "category": "event",
                "title": "Street party",
                "event": {"starts_at": starts, "location": "Grand-Place"},
            },
        )
    ).json()
    ids = {"id": post["id"]}

    # And Bob reads the feed and the post, comments, reacts, answers the event
    feed = await (await bob.call("GET", "/api/v1/feed", 200)).json()
    assert [item["title"] for item in feed["items"]] == ["Street party", "Moving boxes"]
    assert feed["next_before"] is None
    only_help = await bob.call("GET", "/api/v1/feed", 200, params={"category": "help_request"})
    assert [i["title"] for i in (await only_help.json())["items"]] == ["Moving boxes"]
    read = await (await bob.call("GET", "/api/v1/posts/{id}", 200, ids=ids)).json()
    assert read["counts"]["views"] == 1 and read["author"]["id"] == place.alice.id
    comment = await (
        await bob.call("POST", "/api/v1/posts/{id}/comments", 201, ids=ids, json={"body": "I can!"})
    ).json()
    await bob.call(
        "PATCH", "/api/v1/comments/{id}", 200, ids={"id": comment["id"]}, json={"body": "I can."}
    )
    listed = await (await bob.call("GET", "/api/v1/posts/{id}/comments", 200, ids=ids)).json()
    assert [c["body"] for c in listed] == ["I can."]
    reaction = await (
        await bob.call(
            "POST", "/api/v1/posts/{id}/reactions", 200, ids=ids, json={"kind": "support"}
        )
    ).json()
    assert reaction["on"] is True and reaction["counts"]["support"] == 1
    rsvp = await (
        await bob.call(
            "POST",
            "/api/v1/posts/{id}/rsvp",
            200,
            ids={"id": event["id"]},
            json={"answer": "going"},
        )
    ).json()
    assert rsvp == {"going": 1, "maybe": 0, "mine": "going", "going_names": ["Bob"]}
    events = await (await bob.call("GET", "/api/v1/events", 200)).json()
    assert [e["title"] for e in events] == ["Street party"]
    hits = await (await bob.call("GET", "/api/v1/search", 200, params={"q": "moving"})).json()
    assert [h["title"] for h in hits] == ["Moving boxes"]
    link = await (await bob.call("POST", "/api/v1/calendar-link", 201)).json()
    assert link["url"].startswith(node.config.base_url + "/calendar/cal_")

    # And Alice changes her post, marks it resolved by name, then Bob deletes his comment
    patched = await (
        await alice.call("PATCH", "/api/v1/posts/{id}", 200, ids=ids, json={"title": "Boxes"})
    ).json()
    assert patched["title"] == "Boxes" and patched["shared_with_adjacent"] is True
    resolved = await (
        await alice.call(
            "POST",
            "/api/v1/posts/{id}/resolve",
            200,
            ids=ids,
            json={"helper_name": "BOB"},
        )
    ).json()
    assert resolved["helper"] == {"id": place.bob.id, "display_name": "Bob"}
    await bob.call("DELETE", "/api/v1/comments/{id}", 204, ids={"id": comment["id"]})
    await alice.call("DELETE", "/api/v1/posts/{id}", 204, ids={"id": event["id"]})
    await bob.call("GET", "/api/v1/posts/{id}", 404, ids={"id": event["id"]})

    # Then every answer matched the served document
    assert alice.violations + bob.violations + admin.violations == []


async def test_a_moderator_takes_part_like_any_resident(node, browsers):
    await node.register.create_neighbourhood("Centre")
    moderator = await resident(node, "Mona", "centre", Role.MODERATOR)
    browser = await signed_in(browsers, moderator)
    created = await browser.post_form("/posts", {"category": "general", "title": "Hello all"})
    assert created.status == 303
    assert "Hello all" in await (await browser.get("/neighbourhood")).text()
