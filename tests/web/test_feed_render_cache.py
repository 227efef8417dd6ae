"""The feed page served from shared, cached markup, as its readers notice it.

Most of GET /neighbourhood is rendered once per neighbourhood, language and cached first page,
and reader-specific state (sessions, "New" marks, one's own reactions, unread notifications,
what the city says) is kept in memory between writes. These tests check, over real HTTP on
real SQLite files, that no reader ever sees something stale or somebody else's.
"""

from __future__ import annotations

import re
import time

import pytest

from node.api.app_keys import ANNOUNCEMENTS, CATALOGS, DATABASE
from node.models import Role
from node.models.posts import FeedPage
from node.services.feed_cache import FeedCache
from node.storage import city_messages as city_messages_store
from tests.api.browser import Browsers, quick_password_hashing  # noqa: F401 (autouse fixture)
from tests.api.posts_support import (
    jpeg,
    neighbourhoods,
    post_multipart,
    resident,
    signed_in,
    write_post,
)

TITLE = re.compile(r'<h2 class="post-title" id="post-(\d+)-title">')
NEW = re.compile(r'id="post-(\d+)-title"><strong class="tag tag-new">')


async def feed(browser, path: str = "/neighbourhood") -> str:
    response = await browser.get(path)
    assert response.status == 200, response.status
    return await response.text()


def ids(html: str) -> list[int]:
    return [int(i) for i in TITLE.findall(html)]


def card(html: str, post_id: int) -> str:
    """The markup of one post's card on a feed page."""
    match = re.search(
        rf'<article class="[^"]*" aria-labelledby="post-{post_id}-title">.*?</article>', html, re.S
    )
    assert match, f"post {post_id} is not on the page"
    return match.group(0)


async def test_every_change_shows_on_the_next_load_for_every_reader(node, browsers):
    # Given Bob and Carla reading the same cached feed of Centre
    place = await neighbourhoods(node)
    carla_user = await resident(node, "Carla", "centre")
    first = await write_post(node, place.alice, "Ladder to lend")
    bob = await signed_in(browsers, place.bob)
    carla = await signed_in(browsers, carla_user)
    readers = (bob, carla)
    for reader in readers:
        assert ids(await feed(reader)) == [first]
        assert ids(await feed(reader)) == [first]  # the second load comes from memory
    alice = await signed_in(browsers, place.alice)

    async def everyone_sees(check) -> None:
        for reader in readers:
            check(await feed(reader))

    # When Alice posts, comments, reacts, edits, adds a photo and deletes: each shows at once
    async def alice_does(path: str, fields: dict, files: list | None = None) -> str:
        if files:
            response = await post_multipart(alice, path, fields, files)
        else:
            response = await alice.post_form(path, fields)
        assert response.status == 303, await response.text()
        return response.headers["Location"]

    location = await alice_does("/posts", {"category": "general", "title": "Street party"})
    second = int(location.rsplit("/", 1)[1])
    await everyone_sees(lambda html: _equal(ids(html), [second, first]))
    await alice_does(f"/posts/{first}/comments", {"body": "Still free"})
    await everyone_sees(lambda html: _within(card(html, first), "<li>Comments 1</li>"))
    await alice_does(f"/posts/{first}/reactions", {"kind": "thanks"})
    await everyone_sees(lambda html: _within(card(html, first), "<li>Thanks 1</li>"))
    edit = {"category": "general", "title": "Street fair"}
    await alice_does(f"/posts/{second}/edit", edit)
    await everyone_sees(lambda html: _within(card(html, second), ">Street fair</a>"))
    await alice_does(f"/posts/{second}/edit", edit, [("street.jpg", jpeg(), "image/jpeg")])
    await everyone_sees(lambda html: _within(card(html, second), 'class="post-thumb"'))
    await alice_does(f"/posts/{second}/delete", {})
    await everyone_sees(lambda html: _equal(ids(html), [first]))

    # And a moderator hiding the post empties every reader's page; restoring brings it back
    moderator = browsers.open()
    await moderator.login((await node.user(Role.MODERATOR, "mo@example.org", "centre")).email)
    await moderator.post_form(f"/moderation/posts/{first}", {"action": "hide"})
    await everyone_sees(lambda html: _equal(ids(html), []))
    await moderator.post_form(f"/moderation/posts/{first}", {"action": "restore"})
    await everyone_sees(lambda html: _equal(ids(html), [first]))

    # And a post shared by Centre reaches adjacent Nord's cached page at once
    nora = await signed_in(browsers, place.nora)
    assert ids(await feed(nora)) == []
    shared = await write_post(node, place.alice, "Lost cat", shared_with_adjacent=True)
    assert ids(await feed(nora)) == [shared]
    assert "shared by Centre" in card(await feed(nora), shared)
    assert "shared by" not in card(await feed(bob), shared)


def _equal(found, expected) -> None:
    assert found == expected


def _within(markup: str, expected: str) -> None:
    assert expected in markup, markup


async def test_a_readers_own_marks_never_show_on_another_readers_page(node, browsers):
    # Given Bob and Dora, who last read the feed a day ago, and Carla, who reads it now
    place = await neighbourhoods(node, adjacent=False)
    carla_user = await resident(node, "Carla", "centre")
    dora_user = await resident(node, "Dora", "centre")
    old = await write_post(node, place.alice, "Old news")
    bob = await signed_in(browsers, place.bob)
    carla = await signed_in(browsers, carla_user)
    dora = await signed_in(browsers, dora_user)
    await feed(bob)
    await feed(dora)

    def a_day_ago(conn):
        conn.execute(
            "UPDATE feed_visits SET previous_visit_at = previous_visit_at - 86400,"
            " last_visit_at = last_visit_at - 86400"
        )
        conn.execute("UPDATE posts SET created_at = created_at - 2 * 86400 WHERE id = ?", (old,))

    await node.client.app[DATABASE].write("test_visits_a_day_ago", a_day_ago)
    await feed(carla)
    fresh = await write_post(node, place.alice, "Fresh news")
    own = await write_post(node, place.bob, "Bob's own")

    # When Bob likes the old post and everyone reads, in turns, twice
    await bob.post_form(f"/posts/{old}/reactions", {"kind": "like"})
    alice = await signed_in(browsers, place.alice)
    pages = {}
    for _ in range(2):
        for name, reader in (("bob", bob), ("dora", dora), ("carla", carla), ("alice", alice)):
            pages[name] = await feed(reader)

    # Then only Bob sees his like; the posts new to Bob and Dora are marked for them alone;
    # Bob's own post is not new to him
    mine = '<li>Likes 1 <span class="post-mine">(you)</span></li>'
    assert mine in card(pages["bob"], old)
    for name in ("dora", "carla", "alice"):
        assert "post-mine" not in pages[name] and "<li>Likes 1</li>" in card(pages[name], old)
    assert [int(i) for i in NEW.findall(pages["bob"])] == [fresh]
    assert [int(i) for i in NEW.findall(pages["dora"])] == [own, fresh]
    assert own in ids(pages["bob"])
    assert NEW.findall(pages["carla"]) == [] and NEW.findall(pages["alice"]) == []

    # And when Carla likes it too, each sees only their own mark
    await carla.post_form(f"/posts/{old}/reactions", {"kind": "like"})
    for reader in (bob, carla):
        assert '<li>Likes 2 <span class="post-mine">(you)</span></li>' in card(
            await feed(reader), old
        )
    assert "post-mine" not in await feed(alice) + await feed(dora)


def test_markup_kept_for_a_page_is_forgotten_with_it():
    # Given a cached page of Nord (which shows Centre's shared posts), with markup kept
    cache = FeedCache()
    page = FeedPage(items=(), has_more=False)
    cache.put(2, None, page, (1,), cache.generation)
    cache.derived(2, None, page)["cards"] = b"<article>"

    # Then it is kept only for that very page: a page read past the cache gets none
    assert cache.derived(2, None, page) == {"cards": b"<article>"}
    assert cache.derived(2, None, FeedPage(items=(), has_more=False)) is None
    assert cache.derived(2, "tip", page) is None

    # And a write in Centre, or the page's replacement, forgets it
    cache.invalidate(1)
    assert cache.derived(2, None, page) is None
    cache.put(2, None, page, (1,), cache.generation)
    assert cache.derived(2, None, page) == {}


@pytest.mark.parametrize("lang", ["fr", "nl", "de"])
async def test_each_language_gets_its_own_markup_of_the_same_cached_page(node, browsers, lang):
    # Given an English reader who has filled the cache
    place = await neighbourhoods(node, adjacent=False)
    post_id = await write_post(
        node, place.alice, "Ladder to lend", category="offer", offer_kind="lend"
    )
    english = await signed_in(browsers, place.bob)
    assert "<li>Comments 0</li>" in await feed(english)

    # When a neighbour reading another language opens the same feed
    reader_user = await resident(node, "Fleur", "centre")
    reader = browsers.open({"Accept-Language": lang})
    token = await node.accounts.start_session(reader_user)
    reader.session.cookie_jar.update_cookies(
        {"quartier_session": token}, response_url=reader.url("/")
    )
    html = await feed(reader)

    # Then the page is in that language, card and frame alike; and English stays English
    catalog = node.client.app[CATALOGS][lang]
    assert f'<html lang="{lang}">' in html
    for label in ("Comments", "Offer", "To lend", "Write a post", "Sign out"):
        assert catalog.gettext(label) != label, f"{label!r} is not translated into {lang}"
        assert catalog.gettext(label) in html
    assert "<li>Comments 0</li>" not in html and ">Write a post<" not in html
    assert post_id in ids(html)
    again = await feed(english)
    assert '<html lang="en">' in again and "<li>Comments 0</li>" in again


async def test_a_signed_out_or_suspended_session_is_refused_at_once(node, browsers):
    # Given Bob and Carla, whose sessions the node has been answering from memory
    place = await neighbourhoods(node, adjacent=False)
    carla_user = await node.user(Role.RESIDENT, "carla@example.org", "centre")
    bob = await signed_in(browsers, place.bob)
    bob_token = bob.cookie("quartier_session")
    carla = browsers.open()
    await carla.login(carla_user.email)
    for reader in (bob, carla, bob, carla):  # the first load of each records a visit
        await feed(reader)
    counts = node.client.app[DATABASE].interaction_counts
    reads = counts["get_user_by_session"]
    for reader in (bob, carla):
        for _ in range(3):
            await feed(reader)
    assert counts["get_user_by_session"] == reads

    # When Bob signs out, his old cookie opens nothing any more, from any browser
    await bob.post_form("/logout")
    replay = browsers.open()
    replay.session.cookie_jar.update_cookies(
        {"quartier_session": bob_token}, response_url=replay.url("/")
    )
    refused = await replay.get("/neighbourhood")
    assert refused.status == 303 and refused.headers["Location"].startswith("/login")

    # And when a moderator suspends Carla, her very next page is refused
    moderator = browsers.open()
    await moderator.login((await node.user(Role.MODERATOR, "mo@example.org", "centre")).email)
    suspended = await moderator.post_form(
        f"/moderation/members/{carla_user.id}", {"action": "suspend", "note": "spam"}
    )
    assert suspended.status == 303
    refused = await carla.get("/neighbourhood")
    assert refused.status == 303 and refused.headers["Location"].startswith("/login")


async def test_new_notifications_and_city_messages_show_at_once_and_expire(
    node, browsers, monkeypatch
):
    # Given Bob reading his feed, with nothing unread and nothing from the city
    place = await neighbourhoods(node, adjacent=False)
    post_id = await write_post(node, place.bob, "Who has a drill?")
    bob = await signed_in(browsers, place.bob)
    html = await feed(bob)
    assert 'class="badge"' not in html and "From the city" not in html

    # When Alice comments on his post, the badge shows on his next load; reading clears it
    alice = await signed_in(browsers, place.alice)
    await alice.post_form(f"/posts/{post_id}/comments", {"body": "I have one"})
    assert '<span class="badge">1<span class="visually-hidden"> unread</span></span>' in await feed(
        bob
    )
    await bob.get("/notifications")
    assert 'class="badge"' not in await feed(bob)

    # And a city message reaches the feed at once, and leaves it when it expires
    now = int(time.time())

    def publish(conn):
        city_messages_store.put_city_message(
            conn,
            object_uri="https://city.example/notes/1",
            actor="https://city.example/actor",
            actor_name="City of Testville",
            kind="announcement",
            title="Water cut on Monday",
            content_html="<p>From 9 to 12.</p>",
            urgent=True,
            pinned=False,
            expires_at=now + 3600,
            published_at=now,
            document="{}",
            neighbourhood_ids=[place.centre_id],
            now=now,
        )

    await node.client.app[DATABASE].write("test_city_message", publish)
    assert "Water cut on Monday" in await feed(bob)
    assert "Water cut on Monday" in await feed(bob)
    monkeypatch.setattr(node.client.app[ANNOUNCEMENTS], "_clock", lambda: now + 3601)
    assert "Water cut on Monday" not in await feed(bob)


async def test_the_shared_markup_prints_the_bytes_a_whole_render_prints(
    node, browsers, monkeypatch
):
    # Given a feed with a bit of everything: a photo, an event, an offer, a shared post, marks
    # New, one's own reaction, an unread notification; read in English by Bob and in French
    # by Alice (each browser keeps its CSRF token, so pages can be compared byte for byte)
    place = await neighbourhoods(node)
    bob = await signed_in(browsers, place.bob)
    await feed(bob)
    await node.client.app[DATABASE].write(
        "test_visit_a_day_ago",
        lambda conn: conn.execute(
            "UPDATE feed_visits SET previous_visit_at = previous_visit_at - 86400,"
            " last_visit_at = last_visit_at - 86400"
        ),
    )
    alice = browsers.open({"Accept-Language": "fr"})
    token = await node.accounts.start_session(place.alice)
    alice.session.cookie_jar.update_cookies(
        {"quartier_session": token}, response_url=alice.url("/")
    )
    await alice.get("/account")  # any page open to all roles: it sets the CSRF cookie
    photo = await post_multipart(
        alice,
        "/posts",
        {"category": "general", "title": "<b>Our</b> street & co"},
        [("street.jpg", jpeg(), "image/jpeg")],
    )
    assert photo.status == 303
    offer = await write_post(node, place.alice, "Drill", category="offer", offer_kind="lend")
    await write_post(node, place.bob, "Party", category="event", starts_at="2031-05-01T18:00")
    await write_post(node, place.nora, "Cat found", shared_with_adjacent=True)
    await bob.post_form(f"/posts/{offer}/reactions", {"kind": "support"})
    await alice.post_form(f"/posts/{offer}/comments", {"body": "Merci"})
    paths = [
        "/neighbourhood",
        "/neighbourhood?welcome=1",
        "/neighbourhood?notice=deleted",
        "/neighbourhood?category=offer&x=%22%3E%3Cb%3E",
    ]

    # When each page is served from the shared markup, then rendered whole
    async def pages() -> dict:
        return {
            (name, path): await feed(r, path)
            for name, r in (("bob", bob), ("alice", alice))
            for path in paths
        }

    shared = await pages()
    assert await pages() == shared  # the second time every part comes from memory
    monkeypatch.setattr(FeedCache, "derived", lambda self, *args: None)
    whole = await pages()

    # Then both ways print the same bytes, with each reader's own marks
    for key, html in shared.items():
        assert html == whole[key], key
    bob_page, alice_page = shared["bob", "/neighbourhood"], shared["alice", "/neighbourhood"]
    assert "tag-new" in bob_page and "tag-new" not in alice_page
    assert "post-mine" in card(bob_page, offer) and "post-mine" not in alice_page
    assert '<html lang="fr">' in alice_page and 'class="badge"' in alice_page
    assert 'class="post-thumb"' in bob_page and "shared by Nord" in bob_page
