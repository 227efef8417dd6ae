"""Who reaches posts: residents of another neighbourhood find nothing (404, not 403), city
staff and admins are turned away from every resident-content route (403)."""

from __future__ import annotations

import re

from node.api import api_posts, web_posts
from node.api.access import ADMIN, PUBLIC, rule_of
from node.models import Role
from tests.api.posts_support import (
    jpeg,
    neighbourhoods,
    post_multipart,
    posts_of,
    resident,
    signed_in,
)

NO_ACCESS = "You do not have access to this page."


async def _alice_content(node, browsers, place) -> dict[str, int]:
    """An event by Alice (Centre, not shared) with a photo and a comment."""
    alice = await signed_in(browsers, place.alice)
    created = await post_multipart(
        alice,
        "/posts",
        {"category": "event", "title": "Secret picnic", "starts_at": "2099-06-01T12:00"},
        [("picnic.jpg", jpeg(), "image/jpeg")],
    )
    assert created.status == 303, await created.text()
    post_id = int(created.headers["Location"].rsplit("/", 1)[1])
    comment = await posts_of(node).interactions.add_comment(place.alice, post_id, "Bring bread")
    page = await (await alice.get(f"/posts/{post_id}")).text()
    photo_id = int(re.search(r'href="/photos/(\d+)"', page).group(1))
    return {"post": post_id, "photo": photo_id, "comment": comment.id}


async def test_a_resident_of_another_neighbourhood_finds_nothing(node, browsers):
    # Given Alice's event in Centre, with a photo and a comment
    place = await neighbourhoods(node, adjacent=False)
    ids = await _alice_content(node, browsers, place)
    post, photo, comment = ids["post"], ids["photo"], ids["comment"]

    # When Sam, who lives in Sud, tries every way in, on the pages and on the API
    sam = await signed_in(browsers, place.sam)
    attempts = [
        await sam.get(f"/posts/{post}"),
        await sam.get(f"/posts/{post}/edit"),
        await sam.get(f"/posts/{post}/delete"),
        await sam.get(f"/photos/{photo}"),
        await sam.get(f"/photos/{photo}/thumb"),
        await sam.get(f"/comments/{comment}/edit"),
        await sam.post_form(f"/posts/{post}/comments", {"body": "Hi"}),
        await sam.post_form(f"/posts/{post}/comments", {"body": ""}),
        await sam.post_form(f"/posts/{post}/reactions", {"kind": "thanks"}),
        await sam.post_form(f"/posts/{post}/rsvp", {"answer": "going"}),
        await sam.post_form(f"/posts/{post}/resolve", {}),
        await sam.post_form(f"/posts/{post}/edit", {"category": "general", "title": "x"}),
        await sam.post_form(f"/posts/{post}/delete"),
        await sam.post_form(f"/comments/{comment}/edit", {"body": "x"}),
        await sam.post_form(f"/comments/{comment}/delete"),
    ]
    headers = await node.api_token(place.sam)
    client = node.client
    attempts += [
        await client.get(f"/api/v1/posts/{post}", headers=headers),
        await client.get(f"/api/v1/photos/{photo}", headers=headers),
        await client.get(f"/api/v1/posts/{post}/comments", headers=headers),
        await client.post(f"/api/v1/posts/{post}/comments", json={"body": "Hi"}, headers=headers),
        await client.post(f"/api/v1/posts/{post}/comments", json={}, headers=headers),
        await client.post(
            f"/api/v1/posts/{post}/reactions", json={"kind": "like"}, headers=headers
        ),
        await client.post(f"/api/v1/posts/{post}/rsvp", json={"answer": "going"}, headers=headers),
        await client.patch(f"/api/v1/posts/{post}", json={"title": "x"}, headers=headers),
        await client.delete(f"/api/v1/posts/{post}", headers=headers),
        await client.patch(f"/api/v1/comments/{comment}", json={"body": "x"}, headers=headers),
        await client.delete(f"/api/v1/comments/{comment}", headers=headers),
    ]

    # Then every answer is "not found": nothing says the post exists
    assert [(str(r.url.path), r.status) for r in attempts if r.status != 404] == []
    for response in attempts:
        assert "Secret picnic" not in await response.text(errors="replace")

    # And nothing of Centre shows in his feed, his events or his calendar
    for path in ("/neighbourhood", "/events", "/neighbourhood/calendar.ics", "/search?q=secret"):
        assert "Secret picnic" not in await (await sam.get(path)).text(), path
    # And nothing was written by his attempts
    page = await posts_of(node).post_page(place.alice, post)
    assert (page.post.counts.comments, page.post.counts.thanks, page.rsvps.going) == (1, 0, 0)


def _my_routes() -> list[tuple[str, str, object]]:
    pages = [(m, p, h) for m, p, h in web_posts.ROUTES]
    api = [(op.method, op.path, op.handler) for op in api_posts.OPERATIONS]
    return pages + api


def _fill(path: str, ids: dict[str, int]) -> str:
    # The id pattern may hold braces of its own ({id:[0-9]{1,18}})
    path = re.sub(r"\{id(?::(?:[^{}]|\{[^{}]*\})*)?\}", str(ids["post"]), path)
    if path.startswith(("/photos/", "/api/v1/photos/")):
        path = path.replace(str(ids["post"]), str(ids["photo"]), 1)
    if path.startswith(("/comments/", "/api/v1/comments/")):
        path = path.replace(str(ids["post"]), str(ids["comment"]), 1)
    return path.replace("{token}", "cal_unknown")


async def test_city_staff_and_admins_are_refused_every_resident_route(node, browsers):
    # Given resident content, and a city staff member and an admin signed in both ways
    place = await neighbourhoods(node, adjacent=False)
    ids = await _alice_content(node, browsers, place)
    admin = await node.accounts.user_by_email("admin@example.org") or await resident(
        node, "Admin", None, Role.ADMIN
    )
    staff = await resident(node, "Staff", None, Role.CITY_STAFF)
    people = {
        "admin": (await signed_in(browsers, admin), await node.api_token(admin)),
        "staff": (await signed_in(browsers, staff), await node.api_token(staff)),
    }

    # When each calls each of the area's routes
    failures = []
    for method, route, handler in _my_routes():
        rule = rule_of(handler)
        path = _fill(route, ids)
        for who, (browser, bearer) in people.items():
            if path.startswith("/api/"):
                kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                response = await browser.request(method, path, headers=bearer, **kwargs)
            elif method == "POST":
                response = await browser.post_form(path, {})
            else:
                response = await browser.get(path)
            body = await response.text(errors="replace")
            if rule is PUBLIC:
                expected = 404  # the secret calendar URL: an unknown secret finds nothing
            elif rule is ADMIN and who == "admin":
                expected = None  # the adjacency pages are the admin's own
            else:
                expected = 403
            if expected is None:
                if response.status in (401, 403):
                    failures.append(f"{who} {method} {path}: refused with {response.status}")
            elif response.status != expected:
                failures.append(f"{who} {method} {path}: {response.status}, not {expected}")
            elif expected == 403 and not path.startswith("/api/") and NO_ACCESS not in body:
                failures.append(f"{who} {method} {path}: not the 'no access' page")
            if "Secret picnic" in body:
                failures.append(f"{who} {method} {path}: shows resident content")

    # Then they were refused everywhere, and saw nothing
    assert failures == []


async def test_ids_no_row_can_have_are_not_found_and_odd_pages_are_the_first(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    bob = await signed_in(browsers, place.bob)
    huge = "9" * 30
    for path in (f"/posts/{huge}", f"/photos/{huge}/thumb", f"/comments/{huge}/edit"):
        assert (await bob.get(path)).status == 404, path
    assert (await bob.post_form(f"/posts/{huge}/comments", {"body": "x"})).status == 404
    for before in (huge, "²", "-1", "abc"):
        assert (await bob.get("/neighbourhood", params={"before": before})).status == 200
    headers = await node.api_token(place.bob)
    assert (await node.client.get(f"/api/v1/posts/{huge}", headers=headers)).status == 404
    odd = await node.client.get("/api/v1/feed", params={"before": "²"}, headers=headers)
    assert odd.status == 422
