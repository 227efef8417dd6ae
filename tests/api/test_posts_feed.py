"""The neighbourhood feed: categories, pages, sharing with adjacent neighbourhoods, the cache,
"New" marks and view counts, as residents see them over HTTP."""

from __future__ import annotations

import hashlib
import re

import pytest

from node.api.app_keys import DATABASE
from node.errors import Forbidden
from node.models import Role
from tests.api.posts_support import (
    database,
    neighbourhoods,
    posts_of,
    resident,
    signed_in,
    write_post,
)

TITLE = re.compile(r'<h2 class="post-title" id="post-(\d+)-title">')


def feed_ids(html: str) -> list[int]:
    return [int(i) for i in TITLE.findall(html)]


def older_link(html: str) -> str | None:
    match = re.search(r'<a href="(/neighbourhood\?before=[^"]+)" rel="next">Older posts</a>', html)
    return match.group(1).replace("&amp;", "&") if match else None


async def test_older_posts_pages_through_45_posts_without_gaps_or_repeats(node, browsers):
    # Given 45 posts in Centre, every third one a tip
    place = await neighbourhoods(node, adjacent=False)
    written = []
    for n in range(45):
        category = "tip" if n % 3 == 0 else "general"
        written.append(await write_post(node, place.alice, f"Post {n}", category=category))
    bob = await signed_in(browsers, place.bob)

    # When Bob follows "Older posts" to the end
    pages, path = [], "/neighbourhood"
    while path:
        html = await (await bob.get(path)).text()
        pages.append(feed_ids(html))
        path = older_link(html)

    # Then he saw 20, 20 and 5 posts, newest first, each exactly once
    assert [len(page) for page in pages] == [20, 20, 5]
    assert [i for page in pages for i in page] == written[::-1]

    # When he filters tips, pages keep the filter
    html = await (await bob.get("/neighbourhood?category=tip")).text()
    tips = [i for n, i in enumerate(written) if n % 3 == 0][::-1]
    assert feed_ids(html) == tips
    assert older_link(html) is None
    assert '<option value="tip" selected>Tip</option>' in html

    # And the API pages the same way
    headers = await node.api_token(place.bob)
    seen, before = [], None
    while True:
        params = {"before": before} if before else {}
        body = await (await node.client.get("/api/v1/feed", params=params, headers=headers)).json()
        seen += [item["id"] for item in body["items"]]
        before = body["next_before"]
        if before is None:
            break
    assert seen == written[::-1]


async def test_a_post_shared_with_nearby_neighbourhoods_reaches_only_adjacent_ones(node, browsers):
    # Given Centre adjacent to Nord, and Sud adjacent to neither
    place = await neighbourhoods(node)
    alice = await signed_in(browsers, place.alice)

    # When Alice writes one post shared with nearby neighbourhoods and one kept at home
    form = await (await alice.get("/posts/new")).text()
    assert "Residents of these neighbourhoods will see it too: Nord." in form
    shared = await alice.post_form(
        "/posts",
        {"category": "lost_found", "title": "Grey cat found", "shared_with_adjacent": "1"},
    )
    await alice.post_form("/posts", {"category": "general", "title": "Centre only"})
    shared_path = shared.headers["Location"]

    # Then Nora in Nord sees the shared one, marked as coming from Centre, and can answer it
    nora = await signed_in(browsers, place.nora)
    html = await (await nora.get("/neighbourhood")).text()
    assert "Grey cat found" in html and "shared by Centre" in html
    assert "Centre only" not in html
    assert (await nora.get(shared_path)).status == 200
    commented = await nora.post_form(f"{shared_path}/comments", {"body": "It is ours!"})
    assert commented.status == 303
    html = await (await nora.get("/neighbourhood?category=lost_found")).text()
    assert "Grey cat found" in html

    # And Sam in Sud sees neither, not even by address or search
    sam = await signed_in(browsers, place.sam)
    html = await (await sam.get("/neighbourhood")).text()
    assert "Grey cat found" not in html and "Centre only" not in html
    assert (await sam.get(shared_path)).status == 404
    assert "Grey cat" not in await (await sam.get("/search?q=grey+cat")).text()

    # And adjacency works both ways: Nora may share with Centre
    form = await (await nora.get("/posts/new")).text()
    assert "Residents of these neighbourhoods will see it too: Centre." in form


async def test_without_adjacent_neighbourhoods_there_is_no_sharing(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    form = await (await alice.get("/posts/new")).text()
    assert "shared_with_adjacent" not in form

    # Even a forged checkbox shares nothing
    await alice.post_form(
        "/posts", {"category": "general", "title": "Forged", "shared_with_adjacent": "1"}
    )
    with database(node) as conn:
        assert conn.execute("SELECT shared_with_adjacent FROM posts").fetchall() == [(0,)]


async def test_the_cached_first_page_shows_every_change_on_the_next_load(node, browsers):
    # Given Bob has loaded his feed (so its first page is cached)
    place = await neighbourhoods(node)
    first = await write_post(node, place.alice, "Old news")
    bob = await signed_in(browsers, place.bob)
    assert feed_ids(await (await bob.get("/neighbourhood")).text()) == [first]
    assert feed_ids(await (await bob.get("/neighbourhood")).text()) == [first]
    cache = posts_of(node).cache
    assert cache.hits >= 1

    # When Alice posts through the page, the next load shows it
    alice = await signed_in(browsers, place.alice)
    created = await alice.post_form("/posts", {"category": "general", "title": "Fresh news"})
    second = int(created.headers["Location"].rsplit("/", 1)[1])
    assert feed_ids(await (await bob.get("/neighbourhood")).text()) == [second, first]

    # And a comment, a reaction, an edit and a deletion each show at once
    await alice.post_form(f"/posts/{second}/comments", {"body": "More soon"})
    assert "<li>Comments 1</li>" in await (await bob.get("/neighbourhood")).text()
    await alice.post_form(f"/posts/{first}/reactions", {"kind": "like"})
    assert "<li>Likes 1</li>" in await (await bob.get("/neighbourhood")).text()
    mine = await (await alice.get("/neighbourhood")).text()  # one's own reaction is marked
    assert '<li>Likes 1 <span class="post-mine">(you)</span></li>' in mine
    await alice.post_form(f"/posts/{second}/edit", {"category": "general", "title": "Hot news"})
    assert "Hot news" in await (await bob.get("/neighbourhood")).text()
    await alice.post_form(f"/posts/{second}/delete")
    assert feed_ids(await (await bob.get("/neighbourhood")).text()) == [first]

    # And a shared post written in Centre appears at once in adjacent Nord's cached feed
    nora = await signed_in(browsers, place.nora)
    assert feed_ids(await (await nora.get("/neighbourhood")).text()) == []
    shared = await write_post(node, place.alice, "For Nord too", shared_with_adjacent=True)
    assert feed_ids(await (await nora.get("/neighbourhood")).text()) == [shared]

    # And the moderation helper's hook empties the page of a neighbourhood
    with database(node) as conn:
        conn.execute("UPDATE posts SET status = 'hidden' WHERE id = ?", (first,))
    posts_of(node).invalidate_neighbourhood(place.centre_id)
    assert first not in feed_ids(await (await bob.get("/neighbourhood")).text())


async def test_posts_since_the_previous_visit_are_marked_new(node, browsers):
    # Given Bob visited his feed an hour ago, after one post, and Alice posted since
    place = await neighbourhoods(node, adjacent=False)
    before = await write_post(node, place.alice, "Before the visit")
    bob = await signed_in(browsers, place.bob)
    await bob.get("/neighbourhood")  # the first visit: nothing is new yet
    with database(node) as conn:
        conn.execute(
            "UPDATE feed_visits SET previous_visit_at = previous_visit_at - 3600,"
            " last_visit_at = last_visit_at - 3600"
        )
        conn.execute("UPDATE posts SET created_at = created_at - 7200 WHERE id = ?", (before,))
    after = await write_post(node, place.alice, "After the visit")
    own = await write_post(node, place.bob, "Bob's own")

    # When he comes back
    html = await (await bob.get("/neighbourhood")).text()

    # Then only Alice's new post is marked New (not his own, not the older one)
    new = re.findall(r'id="post-(\d+)-title">\s*<strong class="tag tag-new">New</strong>', html)
    assert [int(i) for i in new] == [after]
    assert own in feed_ids(html) and before in feed_ids(html)

    # And within the same visit the marks stay, with no further write
    writes = node.client.app[DATABASE].interaction_counts.get("put_feed_visit", 0)
    html = await (await bob.get("/neighbourhood")).text()
    assert "tag-new" in html
    assert node.client.app[DATABASE].interaction_counts["put_feed_visit"] == writes


async def test_a_view_counts_once_per_neighbour_and_never_for_the_author(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    post_id = await write_post(node, place.alice, "Count me")
    carla = await resident(node, "Carla", "centre")

    # When the author opens it, Bob opens it three times and Carla once (through the API)
    alice = await signed_in(browsers, place.alice)
    await alice.get(f"/posts/{post_id}")
    bob = await signed_in(browsers, place.bob)
    for _ in range(3):
        html = await (await bob.get(f"/posts/{post_id}")).text()
    assert "Seen by 1 neighbour<" in html
    headers = await node.api_token(carla)
    body = await (await node.client.get(f"/api/v1/posts/{post_id}", headers=headers)).json()

    # Then it was seen by two neighbours, and the stored keys name nobody
    assert body["counts"]["views"] == 2
    with database(node) as conn:
        keys = [row[0] for row in conn.execute("SELECT viewer_key FROM post_view_keys")]
    assert len(keys) == 2 and all(len(key) == 16 for key in keys)
    # Without the node's secret, nobody can recompute whose view a key records
    for user in (place.bob, carla):
        plain = hashlib.sha256(f"{post_id}:{user.id}".encode()).digest()[:16]
        assert plain not in keys


async def test_city_staff_and_admins_are_refused_by_the_service_too(node):
    await node.register.create_neighbourhood("Centre")
    staff = await resident(node, "Staff", None, Role.CITY_STAFF)
    with pytest.raises(Forbidden):
        await posts_of(node).feed(staff)
