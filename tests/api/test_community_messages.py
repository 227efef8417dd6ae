"""Direct messages as residents use them: over real HTTP, each person with their own browser."""

from __future__ import annotations

import re

import pytest

from node.api.app_keys import DATABASE, MESSAGES
from node.models import Role
from tests.api.community_people import person, signed_in


@pytest.fixture
async def town(node, browsers):
    """Anne and Jean live in Centre, Zoe in Nord; Carl works for the city. One browser each."""
    await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nord")
    people = {
        "anne": await person(node, "Anne", "centre"),
        "jean": await person(node, "Jean", "centre"),
        "zoe": await person(node, "Zoe", "nord"),
        "carl": await person(node, "Carl", None, Role.CITY_STAFF),
    }
    tabs = {key: await signed_in(node, browsers, user) for key, user in people.items()}
    return people, tabs


def unread_badges(html: str) -> list[str]:
    return re.findall(r'<span class="count-badge">([^<]*)</span>', html)


async def test_two_neighbours_write_to_each_other_and_see_what_is_unread(town):
    people, tabs = town
    anne, jean = people["anne"], people["jean"]

    # Given Anne opens an empty conversation with her neighbour Jean
    page = await tabs["anne"].get(f"/messages/{jean.id}")
    assert page.status == 200
    assert "Conversation with Jean" in await page.text()

    # When she sends him a message with two lines and some markup
    sent = await tabs["anne"].post_form(
        f"/messages/{jean.id}", {"body": "Hello Jean,\nthe ladder is free <b>today</b>"}
    )
    assert sent.status == 303
    assert sent.headers["Location"].startswith(f"/messages/{jean.id}")

    # Then Jean's conversations list shows Anne with one unread message
    listing = await (await tabs["jean"].get("/messages")).text()
    assert f'href="/messages/{anne.id}"' in listing
    assert unread_badges(listing) == ["1 unread"]

    # And opening the thread shows the text escaped, with its line break
    thread = await (await tabs["jean"].get(f"/messages/{anne.id}")).text()
    assert "Hello Jean,<br>\nthe ladder is free &lt;b&gt;today&lt;/b&gt;" in thread
    assert "<b>today</b>" not in thread

    # And once read, nothing is unread any more
    assert unread_badges(await (await tabs["jean"].get("/messages")).text()) == []

    # When Jean answers twice, Anne sees two unread, newest conversation first
    for text in ("Thanks!", "I will come at six."):
        await tabs["jean"].post_form(f"/messages/{anne.id}", {"body": text})
    listing = await (await tabs["anne"].get("/messages")).text()
    assert unread_badges(listing) == ["2 unread"]
    assert "I will come at six." in listing

    # And her thread lists the messages oldest first
    thread = await (await tabs["anne"].get(f"/messages/{jean.id}")).text()
    assert thread.index("ladder") < thread.index("Thanks!") < thread.index("six")


async def test_an_empty_or_too_long_message_is_refused_with_the_form_kept(town):
    people, tabs = town
    jean = people["jean"]

    empty = await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "   "})
    long = await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "x" * 5001})

    assert empty.status == 400
    assert "Write your message." in await empty.text()
    assert long.status == 400
    assert "Use at most 5000 characters." in await long.text()
    listing = await (await tabs["jean"].get("/messages")).text()
    assert "You have no messages yet." in listing


async def test_nobody_but_the_two_parties_reaches_a_conversation(node, town):
    people, tabs = town
    anne, jean, zoe = people["anne"], people["jean"], people["zoe"]
    await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "A secret about the party"})
    message_id = (await node.client.app[MESSAGES].conversations(jean))[0].last_message.id

    # When Zoe, of another neighbourhood, tries the conversation pages and the API
    zoe_api = await node.api_token(zoe)
    attempts = [
        await tabs["zoe"].get(f"/messages/{anne.id}"),
        await tabs["zoe"].get(f"/messages/{jean.id}"),
        await tabs["zoe"].post_form(f"/messages/{anne.id}", {"body": "hi"}),
        await tabs["zoe"].post_form(f"/messages/{jean.id}/{message_id}/delete"),
        await tabs["zoe"].request("GET", f"/api/v1/conversations/{anne.id}", headers=zoe_api),
        await tabs["zoe"].request("DELETE", f"/api/v1/messages/{message_id}", headers=zoe_api),
    ]

    # Then each answers 404, and nothing of the conversation shows
    assert [r.status for r in attempts] == [404] * 6
    for response in attempts:
        assert "secret" not in await response.text()

    # When city staff try the messages pages and API
    carl_api = await node.api_token(people["carl"])
    staff = [
        await tabs["carl"].get("/messages"),
        await tabs["carl"].get(f"/messages/{anne.id}"),
        await tabs["carl"].post_form(f"/messages/{anne.id}", {"body": "hello"}),
        await tabs["carl"].request("GET", "/api/v1/conversations", headers=carl_api),
    ]

    # Then they are refused outright
    assert [r.status for r in staff] == [403] * 4
    for response in staff:
        assert "secret" not in await response.text()

    # And a resident cannot write to city staff either: staff are not correspondents
    to_staff = await tabs["anne"].post_form(f"/messages/{people['carl'].id}", {"body": "hi"})
    assert to_staff.status == 404


async def test_a_resident_of_another_neighbourhood_can_be_answered_once_they_wrote(node, town):
    people, tabs = town
    anne, zoe = people["anne"], people["zoe"]

    # Given Anne cannot see Zoe, who lives in Nord: writing first is refused
    refused = await tabs["anne"].post_form(f"/messages/{zoe.id}", {"body": "Hello Zoe"})
    assert refused.status == 404

    # When Nord becomes adjacent to Centre and Anne shares a post with nearby neighbourhoods,
    # Zoe can see Anne and writes to her through the API
    await _share_a_post_with_nord(node, anne)
    zoe_api = await node.api_token(zoe)
    response = await tabs["zoe"].request(
        "POST",
        f"/api/v1/conversations/{anne.id}",
        json={"body": "Is the ladder still free?"},
        headers=zoe_api,
    )
    assert response.status == 201
    assert (await response.json())["from_me"] is True

    # Then Anne may answer Zoe, although Zoe is not her neighbour
    answer = await tabs["anne"].post_form(f"/messages/{zoe.id}", {"body": "Yes, come by."})
    assert answer.status == 303
    thread = await tabs["zoe"].request("GET", f"/api/v1/conversations/{anne.id}", headers=zoe_api)
    bodies = [m["body"] for m in (await thread.json())["messages"]]
    assert bodies == ["Is the ladder still free?", "Yes, come by."]


async def test_deleting_for_me_leaves_the_other_persons_copy(node, town):
    people, tabs = town
    anne, jean = people["anne"], people["jean"]
    await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "First note"})
    await tabs["anne"].post_form(f"/messages/{jean.id}", {"body": "Second note"})
    first = (await node.client.app[MESSAGES].thread(jean, anne.id)).messages[0]

    # When Jean deletes the first message for himself
    deleted = await tabs["jean"].post_form(f"/messages/{anne.id}/{first.id}/delete")
    assert deleted.status == 303

    # Then he no longer sees it, and Anne still does
    jean_view = await (await tabs["jean"].get(f"/messages/{anne.id}")).text()
    anne_view = await (await tabs["anne"].get(f"/messages/{jean.id}")).text()
    assert "First note" not in jean_view and "Second note" in jean_view
    assert "First note" in anne_view

    # When Anne deletes the whole conversation for herself
    await tabs["anne"].post_form(f"/messages/{jean.id}/delete")

    # Then it leaves her list but stays in Jean's
    anne_list = await (await tabs["anne"].get("/messages")).text()
    jean_list = await (await tabs["jean"].get("/messages")).text()
    assert f'href="/messages/{jean.id}"' not in anne_list
    assert f'href="/messages/{anne.id}"' in jean_list


async def _share_a_post_with_nord(node, author) -> None:
    """Nord and Centre become adjacent; `author` shares a post with nearby neighbourhoods."""

    def setup(conn):
        ids = dict(conn.execute("SELECT slug, id FROM neighbourhoods").fetchall())
        conn.executemany(
            "INSERT INTO neighbourhood_adjacency (neighbourhood_id, adjacent_id) VALUES (?, ?)",
            [(ids["centre"], ids["nord"]), (ids["nord"], ids["centre"])],
        )
        conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, offer_kind, title,"
            " shared_with_adjacent, created_at) VALUES (?, ?, 'offer', 'lend', ?, 1, 0)",
            (ids["centre"], author.id, "Ladder to lend"),
        )

    await node.client.app[DATABASE].write("test_share_post", setup)
