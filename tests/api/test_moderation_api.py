"""The moderation and personal-data API as a script sees it: every operation, checked against
the OpenAPI document the node serves, and refusals as problem+json."""

from __future__ import annotations

import time

import pytest

from node.api.api_moderation import OPERATIONS
from node.api.app_keys import DATABASE
from node.models import Role
from tests.api.test_json_api import Api

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
async def openapi(node) -> dict:
    response = await node.client.get("/api/v1/openapi.json")
    assert response.status == 200
    return await response.json()


async def _insert_post_and_comment(node, neighbourhood_id: int, author_id: int) -> tuple[int, int]:
    def insert(conn):
        now = int(time.time())
        post_id = conn.execute(
            "INSERT INTO posts (neighbourhood_id, author_id, category, title, body, body_html,"
            " comment_count, created_at) VALUES (?, ?, 'general', 'Garage sale',"
            " 'Everything must go', '<p>Everything must go</p>', 1, ?)",
            (neighbourhood_id, author_id, now),
        ).lastrowid
        comment_id = conn.execute(
            "INSERT INTO comments (post_id, author_id, body, body_html, created_at)"
            " VALUES (?, ?, 'Visit my shop at spam.example', '<p>spam</p>', ?)",
            (post_id, author_id, now),
        ).lastrowid
        return post_id, comment_id

    return await node.client.app[DATABASE].write("test_insert", insert)


async def test_every_moderation_operation_answers_as_documented(node, openapi):
    # Given a neighbourhood with a resident's post and comment, a moderator and a reporter
    centre = await node.register.create_neighbourhood("Centre")
    author = await node.user(Role.RESIDENT, "author@example.org", "centre")
    reporter = await node.user(Role.RESIDENT, "reporter@example.org", "centre")
    moderator = await node.user(Role.MODERATOR, "mod@example.org", "centre")
    post_id, comment_id = await _insert_post_and_comment(node, centre.id, author.id)
    as_reporter = Api(node, openapi, await node.api_token(reporter))
    as_moderator = Api(node, openapi, await node.api_token(moderator))

    # When the reporter reports both, and the moderator works through the queue
    created = await as_reporter.call(
        "POST", "/api/v1/posts/{id}/report", 201, ids={"id": post_id}, json={"reason": "spam"}
    )
    assert (await created.json())["post_id"] == post_id
    await as_reporter.call(
        "POST",
        "/api/v1/comments/{id}/report",
        201,
        ids={"id": comment_id},
        json={"reason": "other", "details": "An advert for a shop"},
    )
    missing = await as_reporter.call(
        "POST", "/api/v1/posts/{id}/report", 422, ids={"id": post_id}, json={"reason": "other"}
    )
    assert (await missing.json())["errors"][0]["field"] == "details"

    reports = await (await as_moderator.call("GET", "/api/v1/moderation/reports", 200)).json()
    assert {(r["kind"], r["id"], r["report_count"]) for r in reports} == {
        ("post", post_id, 1),
        ("comment", comment_id, 1),
    }
    kept = await as_moderator.call(
        "POST",
        "/api/v1/moderation/posts/{id}",
        200,
        ids={"id": post_id},
        json={"action": "dismiss"},
    )
    assert await kept.json() == {
        "neighbourhood_id": centre.id,
        "status": "visible",
        "reports_resolved": 1,
    }
    hidden = await as_moderator.call(
        "POST",
        "/api/v1/moderation/comments/{id}",
        200,
        ids={"id": comment_id},
        json={"action": "hide", "note": "advert"},
    )
    assert (await hidden.json())["status"] == "hidden"
    assert await (await as_moderator.call("GET", "/api/v1/moderation/reports", 200)).json() == []

    members = await as_moderator.call("GET", "/api/v1/moderation/members", 200)
    assert members.headers["X-Total-Count"] == "3"
    assert "email" not in str(await members.json())
    warned = await as_moderator.call(
        "POST",
        "/api/v1/moderation/members/{id}",
        200,
        ids={"id": author.id},
        json={"action": "warn", "note": "No adverts, please."},
    )
    assert (await warned.json())["status"] == "active"

    rules = await as_moderator.call(
        "PUT", "/api/v1/moderation/rules", 200, json={"body": "1. Be *kind*."}
    )
    assert "<em>kind</em>" in (await rules.json())["body_html"]
    seen = await (await as_reporter.call("GET", "/api/v1/rules", 200)).json()
    assert seen["is_default"] is False and seen["body"] == "1. Be *kind*."

    log = await (await as_moderator.call("GET", "/api/v1/moderation/log", 200)).json()
    assert [e["action"] for e in log] == ["edit_rules", "warn", "hide_comment", "dismiss_report"]

    data = await (await as_reporter.call("GET", "/api/v1/me/data", 200)).json()
    assert [r["reason"] for r in data["reports_made"]] == ["spam", "other"]

    # Then every operation was tried, and every answer matched the document
    exercised = as_reporter.exercised | as_moderator.exercised
    assert exercised == {(op.method, op.path) for op in OPERATIONS}
    assert as_reporter.violations + as_moderator.violations == []


async def test_a_moderator_of_another_neighbourhood_gets_404_on_the_api(node):
    # Given a post in Centre and a moderator of Nord
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nord")
    author = await node.user(Role.RESIDENT, "author@example.org", "centre")
    other = await node.user(Role.MODERATOR, "mod-nord@example.org", "nord")
    post_id, _ = await _insert_post_and_comment(node, centre.id, author.id)
    headers = await node.api_token(other)

    # When they try to hide it, warn its author, or report it as a resident of Nord
    hide = await node.client.post(
        f"/api/v1/moderation/posts/{post_id}", json={"action": "hide"}, headers=headers
    )
    warn = await node.client.post(
        f"/api/v1/moderation/members/{author.id}",
        json={"action": "warn", "note": "hi"},
        headers=headers,
    )
    report = await node.client.post(
        f"/api/v1/posts/{post_id}/report", json={"reason": "spam"}, headers=headers
    )

    # Then each is a 404 problem, and the post is untouched
    for response in (hide, warn, report):
        assert response.status == 404
        assert response.content_type == PROBLEM_JSON


async def test_a_suspended_members_token_stops_working(node):
    # Given a resident with an API token
    await node.register.create_neighbourhood("Centre")
    member = await node.user(Role.RESIDENT, "member@example.org", "centre")
    moderator = await node.user(Role.MODERATOR, "mod@example.org", "centre")
    member_headers = await node.api_token(member)
    assert (await node.client.get("/api/v1/rules", headers=member_headers)).status == 200

    # When a moderator suspends them
    response = await node.client.post(
        f"/api/v1/moderation/members/{member.id}",
        json={"action": "suspend"},
        headers=await node.api_token(moderator),
    )
    assert (await response.json())["status"] == "suspended"

    # Then their token is refused
    assert (await node.client.get("/api/v1/rules", headers=member_headers)).status == 401
