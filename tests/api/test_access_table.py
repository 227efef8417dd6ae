"""Who may call what: every route the node registers, tried by every kind of person.

The table below is the contract. Changing a route's access rule, or adding a route, makes this
file fail until the table says who should get in.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from urllib.parse import quote

import pytest
from aiohttp import web

from node.api.access import rule_of
from node.api.app_keys import DATABASE, INITIATIVES, SURVEYS
from node.app import create_app
from node.config import Config
from node.models import Role
from node.models.posts import Category, NewPost
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.accounts import NewAccount
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft
from node.storage import comments as comments_store
from node.storage import posts as posts_store
from tests.api.browser import (
    Browser,
    Browsers,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import PASSWORD, register_csv

ANONYMOUS = "anonymous"
RESIDENT_A = "resident_a"
RESIDENT_B = "resident_b"
MODERATOR_A = "moderator_a"
CITY_STAFF = "city_staff"
ADMIN = "admin"

EVERYONE = (ANONYMOUS, RESIDENT_A, RESIDENT_B, MODERATOR_A, CITY_STAFF, ADMIN)
SIGNED_IN = (RESIDENT_A, RESIDENT_B, MODERATOR_A, CITY_STAFF, ADMIN)
NEIGHBOURS = (RESIDENT_A, RESIDENT_B, MODERATOR_A)
MODERATION = (MODERATOR_A, ADMIN)
CITY = (CITY_STAFF, ADMIN)
ADMINS = (ADMIN,)

ROLE_OF = {
    ANONYMOUS: None,
    RESIDENT_A: Role.RESIDENT,
    RESIDENT_B: Role.RESIDENT,
    MODERATOR_A: Role.MODERATOR,
    CITY_STAFF: Role.CITY_STAFF,
    ADMIN: Role.ADMIN,
}

# (method, route as registered) -> who gets past the access rule.
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    # getting in
    ("GET", "/"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/signup"): EVERYONE,
    ("POST", "/signup"): EVERYONE,
    ("GET", "/join"): EVERYONE,
    ("POST", "/join"): EVERYONE,
    ("GET", "/setup/{token}"): EVERYONE,
    ("POST", "/setup/{token}"): EVERYONE,
    ("GET", "/reset/{token}"): EVERYONE,
    ("POST", "/reset/{token}"): EVERYONE,
    ("POST", "/language"): EVERYONE,
    # one's own account and data
    ("GET", "/account"): SIGNED_IN,
    ("GET", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens"): SIGNED_IN,
    ("POST", "/account/tokens/{id}/revoke"): SIGNED_IN,
    ("GET", "/privacy"): EVERYONE,
    ("GET", "/account/data"): SIGNED_IN,
    ("GET", "/account/data.json"): SIGNED_IN,
    ("GET", "/account/delete"): SIGNED_IN,
    ("POST", "/account/delete"): SIGNED_IN,
    ("GET", "/account/deleted"): EVERYONE,
    ("GET", "/account/warnings"): NEIGHBOURS,
    # the node's administration
    ("GET", "/admin"): ADMINS,
    ("GET", "/admin/neighbourhoods"): ADMINS,
    ("POST", "/admin/neighbourhoods"): ADMINS,
    ("GET", "/admin/addresses"): ADMINS,
    ("POST", "/admin/addresses"): ADMINS,
    ("GET", "/admin/households"): ADMINS,
    ("POST", "/admin/households/{id}/revoke"): ADMINS,
    ("POST", "/admin/households/{id}/reissue"): ADMINS,
    ("GET", "/admin/letters.pdf"): ADMINS,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{id}/reset-link"): ADMINS,
    ("GET", "/admin/adjacency"): ADMINS,
    ("POST", "/admin/adjacency"): ADMINS,
    ("GET", "/admin/federation"): ADMINS,
    ("POST", "/admin/federation/follow"): ADMINS,
    ("POST", "/admin/federation/requests/{id}"): ADMINS,
    ("POST", "/admin/federation/following/{id}/unfollow"): ADMINS,
    ("POST", "/admin/federation/hosts"): ADMINS,
    ("POST", "/admin/federation/dead-letters/{id}/retry"): ADMINS,
    # operations
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    # federation: public by design, each request checked by its signature
    ("GET", "/.well-known/webfinger"): EVERYONE,
    ("GET", "/.well-known/nodeinfo"): EVERYONE,
    ("GET", "/nodeinfo/{version}"): EVERYONE,
    ("POST", "/ap/inbox"): EVERYONE,
    ("GET", "/ap/{actor}"): EVERYONE,
    ("POST", "/ap/{actor}/inbox"): EVERYONE,
    ("GET", "/ap/{actor}/outbox"): EVERYONE,
    ("GET", "/ap/{actor}/followers"): EVERYONE,
    ("GET", "/ap/{actor}/{slug}"): EVERYONE,
    ("POST", "/ap/{actor}/{slug}/inbox"): EVERYONE,
    ("GET", "/ap/{actor}/{slug}/outbox"): EVERYONE,
    ("GET", "/ap/{actor}/{slug}/followers"): EVERYONE,
    ("GET", "/ap/objects/{uuid}"): EVERYONE,
    ("GET", "/ap/activities/{uuid}"): EVERYONE,
    # neighbourhood life: residents and moderators only, never city staff or admins
    ("GET", "/neighbourhood"): NEIGHBOURS,
    ("GET", "/posts/new"): NEIGHBOURS,
    ("POST", "/posts"): NEIGHBOURS,
    ("GET", "/posts/{id}"): NEIGHBOURS,
    ("GET", "/posts/{id}/edit"): NEIGHBOURS,
    ("POST", "/posts/{id}/edit"): NEIGHBOURS,
    ("GET", "/posts/{id}/delete"): NEIGHBOURS,
    ("POST", "/posts/{id}/delete"): NEIGHBOURS,
    ("POST", "/posts/{id}/comments"): NEIGHBOURS,
    ("POST", "/posts/{id}/reactions"): NEIGHBOURS,
    ("POST", "/posts/{id}/resolve"): NEIGHBOURS,
    ("POST", "/posts/{id}/rsvp"): NEIGHBOURS,
    ("GET", "/comments/{id}/edit"): NEIGHBOURS,
    ("POST", "/comments/{id}/edit"): NEIGHBOURS,
    ("POST", "/comments/{id}/delete"): NEIGHBOURS,
    ("GET", "/photos/{id}"): NEIGHBOURS,
    ("GET", "/photos/{id}/thumb"): NEIGHBOURS,
    ("GET", "/events"): NEIGHBOURS,
    ("POST", "/events/calendar-link"): NEIGHBOURS,
    ("POST", "/events/calendar-link/revoke"): NEIGHBOURS,
    ("GET", "/neighbourhood/calendar.ics"): NEIGHBOURS,
    ("GET", "/calendar/{token}.ics"): EVERYONE,
    ("GET", "/search"): NEIGHBOURS,
    ("GET", "/messages"): NEIGHBOURS,
    ("GET", "/messages/{id}"): NEIGHBOURS,
    ("POST", "/messages/{id}"): NEIGHBOURS,
    ("POST", "/messages/{id}/delete"): NEIGHBOURS,
    ("POST", "/messages/{id}/{message_id}/delete"): NEIGHBOURS,
    ("GET", "/directory"): NEIGHBOURS,
    ("GET", "/directory/me"): NEIGHBOURS,
    ("POST", "/directory/me"): NEIGHBOURS,
    ("GET", "/helpers"): NEIGHBOURS,
    ("GET", "/helpers/me"): NEIGHBOURS,
    ("POST", "/helpers/me"): NEIGHBOURS,
    ("POST", "/helpers/me/delete"): NEIGHBOURS,
    ("GET", "/notifications"): NEIGHBOURS,
    ("GET", "/notifications/settings"): NEIGHBOURS,
    ("POST", "/notifications/settings"): NEIGHBOURS,
    ("GET", "/posts/{id}/report"): NEIGHBOURS,
    ("POST", "/posts/{id}/report"): NEIGHBOURS,
    ("GET", "/comments/{id}/report"): NEIGHBOURS,
    ("POST", "/comments/{id}/report"): NEIGHBOURS,
    ("GET", "/rules"): NEIGHBOURS,
    ("GET", "/announcements/{uuid}"): EVERYONE,
    ("GET", "/city-messages/{id}"): NEIGHBOURS,
    # moderation
    ("GET", "/moderation/join-requests"): MODERATION,
    ("POST", "/moderation/join-requests/{id}"): MODERATION,
    ("GET", "/moderation"): MODERATION,
    ("POST", "/moderation/posts/{id}"): MODERATION,
    ("POST", "/moderation/comments/{id}"): MODERATION,
    ("GET", "/moderation/members"): MODERATION,
    ("GET", "/moderation/members/{id}"): MODERATION,
    ("POST", "/moderation/members/{id}"): MODERATION,
    ("GET", "/moderation/rules"): MODERATION,
    ("POST", "/moderation/rules"): MODERATION,
    ("GET", "/moderation/log"): MODERATION,
    # the city dashboard
    ("GET", "/city"): CITY,
    ("GET", "/city/announcements"): CITY,
    ("POST", "/city/announcements"): CITY,
    ("GET", "/city/announcements/{id}/edit"): CITY,
    ("POST", "/city/announcements/{id}/edit"): CITY,
    ("POST", "/city/announcements/{id}/withdraw"): CITY,
    ("GET", "/city/budgets"): CITY,
    ("POST", "/city/budgets"): CITY,
    ("GET", "/city/budgets/{id}"): CITY,
    ("POST", "/city/budgets/{id}/close"): CITY,
    ("POST", "/city/budgets/{id}/outcome"): CITY,
    ("POST", "/city/budgets/{id}/withdraw"): CITY,
    ("GET", "/budgets/{id}"): NEIGHBOURS,
    ("POST", "/budgets/{id}"): NEIGHBOURS,
    ("GET", "/city/volunteer-calls"): CITY,
    ("POST", "/city/volunteer-calls"): CITY,
    ("GET", "/city/volunteer-calls/{id}"): CITY,
    ("POST", "/city/volunteer-calls/{id}/withdraw"): CITY,
    ("GET", "/volunteer-calls/{id}"): NEIGHBOURS,
    ("POST", "/volunteer-calls/{id}"): NEIGHBOURS,
    ("POST", "/volunteer-calls/{id}/withdraw"): NEIGHBOURS,
    ("GET", "/city/events"): CITY,
    ("POST", "/city/events"): CITY,
    ("GET", "/city/events/{id}"): CITY,
    ("POST", "/city/events/{id}/withdraw"): CITY,
    ("GET", "/public/events/{uuid}"): EVERYONE,
    ("GET", "/city-events/{id}"): NEIGHBOURS,
    ("POST", "/city-events/{id}/rsvp"): NEIGHBOURS,
    ("GET", "/city/statistics"): CITY,
    ("GET", "/city/statistics.csv"): CITY,
    ("GET", "/city/surveys"): CITY,
    ("GET", "/city/surveys/new"): CITY,
    ("POST", "/city/surveys/new"): CITY,
    ("GET", "/city/surveys/{id}"): CITY,
    ("POST", "/city/surveys/{id}/close"): CITY,
    ("POST", "/city/surveys/{id}/withdraw"): CITY,
    # aggregate tallies only (individual answers are resident data the city never sees)
    ("GET", "/city/surveys/{id}/results.csv"): CITY,
    ("GET", "/city/surveys/{id}/results.json"): CITY,
    # the page a fediverse follower lands on: questions only, no form, no answers
    ("GET", "/public/surveys/{uuid}"): EVERYONE,
    # answering: residents on their home node, never city staff or admins
    ("GET", "/surveys"): NEIGHBOURS,
    ("GET", "/surveys/{id}"): NEIGHBOURS,
    ("POST", "/surveys/{id}"): NEIGHBOURS,
    # citizen initiatives: residents propose and support; the city reads text and count only
    ("GET", "/initiatives"): NEIGHBOURS,
    ("GET", "/initiatives/new"): NEIGHBOURS,
    ("POST", "/initiatives/new"): NEIGHBOURS,
    ("GET", "/initiatives/{id}"): NEIGHBOURS,
    ("POST", "/initiatives/{id}/support"): NEIGHBOURS,
    ("POST", "/initiatives/{id}/unsupport"): NEIGHBOURS,
    ("POST", "/initiatives/{id}/withdraw"): NEIGHBOURS,
    ("GET", "/city/initiatives"): CITY,
    ("GET", "/city/initiatives/{id}"): CITY,
    ("POST", "/city/initiatives/{id}/answer"): CITY,
    # the JSON API
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/api/v1/neighbourhoods"): CITY,
    ("POST", "/api/v1/neighbourhoods"): ADMINS,
    ("POST", "/api/v1/addresses"): ADMINS,
    ("GET", "/api/v1/households"): ADMINS,
    ("POST", "/api/v1/households/{id}/code"): ADMINS,
    ("DELETE", "/api/v1/households/{id}/code"): ADMINS,
    ("GET", "/api/v1/letters"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("GET", "/api/v1/tokens"): SIGNED_IN,
    ("POST", "/api/v1/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/tokens/{id}"): SIGNED_IN,
    ("GET", "/api/v1/join-requests"): MODERATION,
    ("POST", "/api/v1/join-requests/{id}"): MODERATION,
    ("GET", "/api/v1/feed"): NEIGHBOURS,
    ("POST", "/api/v1/posts"): NEIGHBOURS,
    ("GET", "/api/v1/posts/{id}"): NEIGHBOURS,
    ("PATCH", "/api/v1/posts/{id}"): NEIGHBOURS,
    ("DELETE", "/api/v1/posts/{id}"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/photos"): NEIGHBOURS,
    ("GET", "/api/v1/photos/{id}"): NEIGHBOURS,
    ("GET", "/api/v1/posts/{id}/comments"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/comments"): NEIGHBOURS,
    ("PATCH", "/api/v1/comments/{id}"): NEIGHBOURS,
    ("DELETE", "/api/v1/comments/{id}"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/reactions"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/resolve"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/rsvp"): NEIGHBOURS,
    ("GET", "/api/v1/events"): NEIGHBOURS,
    ("GET", "/api/v1/search"): NEIGHBOURS,
    ("POST", "/api/v1/calendar-link"): NEIGHBOURS,
    ("GET", "/api/v1/neighbourhoods/{id}/adjacent"): ADMINS,
    ("PUT", "/api/v1/neighbourhoods/{id}/adjacent"): ADMINS,
    ("GET", "/api/v1/conversations"): NEIGHBOURS,
    ("GET", "/api/v1/conversations/{id}"): NEIGHBOURS,
    ("POST", "/api/v1/conversations/{id}"): NEIGHBOURS,
    ("DELETE", "/api/v1/conversations/{id}"): NEIGHBOURS,
    ("DELETE", "/api/v1/messages/{id}"): NEIGHBOURS,
    ("GET", "/api/v1/directory"): NEIGHBOURS,
    ("GET", "/api/v1/directory/me"): NEIGHBOURS,
    ("PUT", "/api/v1/directory/me"): NEIGHBOURS,
    ("GET", "/api/v1/helpers"): NEIGHBOURS,
    ("GET", "/api/v1/helpers/me"): NEIGHBOURS,
    ("PUT", "/api/v1/helpers/me"): NEIGHBOURS,
    ("DELETE", "/api/v1/helpers/me"): NEIGHBOURS,
    ("GET", "/api/v1/notifications"): NEIGHBOURS,
    ("POST", "/api/v1/notifications/read"): NEIGHBOURS,
    ("GET", "/api/v1/notifications/settings"): NEIGHBOURS,
    ("PUT", "/api/v1/notifications/settings"): NEIGHBOURS,
    ("POST", "/api/v1/posts/{id}/report"): NEIGHBOURS,
    ("POST", "/api/v1/comments/{id}/report"): NEIGHBOURS,
    ("GET", "/api/v1/moderation/reports"): MODERATION,
    ("POST", "/api/v1/moderation/posts/{id}"): MODERATION,
    ("POST", "/api/v1/moderation/comments/{id}"): MODERATION,
    ("GET", "/api/v1/moderation/members"): MODERATION,
    ("POST", "/api/v1/moderation/members/{id}"): MODERATION,
    ("GET", "/api/v1/rules"): NEIGHBOURS,
    ("PUT", "/api/v1/moderation/rules"): MODERATION,
    ("GET", "/api/v1/moderation/log"): MODERATION,
    ("GET", "/api/v1/me/data"): SIGNED_IN,
    ("GET", "/api/v1/announcements"): CITY,
    ("POST", "/api/v1/announcements"): CITY,
    ("PUT", "/api/v1/announcements/{id}"): CITY,
    ("DELETE", "/api/v1/announcements/{id}"): CITY,
    ("GET", "/api/v1/city/budgets"): CITY,
    ("POST", "/api/v1/city/budgets"): CITY,
    ("GET", "/api/v1/city/budgets/{id}"): CITY,
    ("DELETE", "/api/v1/city/budgets/{id}"): CITY,
    ("POST", "/api/v1/city/budgets/{id}/close"): CITY,
    ("POST", "/api/v1/city/budgets/{id}/outcome"): CITY,
    ("PUT", "/api/v1/budgets/{id}/allocation"): NEIGHBOURS,
    ("GET", "/api/v1/city/volunteer-calls"): CITY,
    ("POST", "/api/v1/city/volunteer-calls"): CITY,
    ("GET", "/api/v1/city/volunteer-calls/{id}"): CITY,
    ("DELETE", "/api/v1/city/volunteer-calls/{id}"): CITY,
    ("PUT", "/api/v1/volunteer-calls/{id}/answer"): NEIGHBOURS,
    ("DELETE", "/api/v1/volunteer-calls/{id}/answer"): NEIGHBOURS,
    ("GET", "/api/v1/city/events"): CITY,
    ("POST", "/api/v1/city/events"): CITY,
    ("GET", "/api/v1/city/events/{id}"): CITY,
    ("DELETE", "/api/v1/city/events/{id}"): CITY,
    ("PUT", "/api/v1/city-events/{id}/rsvp"): NEIGHBOURS,
    ("GET", "/api/v1/city/statistics"): CITY,
    ("GET", "/api/v1/city/surveys"): CITY,
    ("POST", "/api/v1/city/surveys"): CITY,
    ("GET", "/api/v1/city/surveys/{id}"): CITY,
    ("DELETE", "/api/v1/city/surveys/{id}"): CITY,
    ("GET", "/api/v1/city/surveys/{id}/results"): CITY,
    ("POST", "/api/v1/city/surveys/{id}/close"): CITY,
    ("GET", "/api/v1/surveys"): NEIGHBOURS,
    ("GET", "/api/v1/surveys/{id}"): NEIGHBOURS,
    ("PUT", "/api/v1/surveys/{id}/answer"): NEIGHBOURS,
    ("GET", "/api/v1/initiatives"): NEIGHBOURS,
    ("POST", "/api/v1/initiatives"): NEIGHBOURS,
    ("GET", "/api/v1/initiatives/{id}"): NEIGHBOURS,
    ("PUT", "/api/v1/initiatives/{id}/support"): NEIGHBOURS,
    ("DELETE", "/api/v1/initiatives/{id}/support"): NEIGHBOURS,
    ("GET", "/api/v1/city/initiatives"): CITY,
    ("POST", "/api/v1/city/initiatives/{id}/answer"): CITY,
}

# Tried last: when let in, these end the caller's session (with an empty form they should not).
SESSION_ENDERS = [("POST", "/account/delete"), ("POST", "/logout")]

NO_ACCESS = "You do not have access to this page."
SIGN_IN_FIRST = "Sign in to see this page."


def registered_routes(app: web.Application) -> dict[tuple[str, str], web.AbstractRoute]:
    """Every route a client can call, by (method, canonical path); static files aside."""
    routes = {}
    for route in app.router.routes():
        if isinstance(route.resource, web.StaticResource) or route.method == "HEAD":
            continue
        routes[(route.method, route.resource.canonical)] = route
    return routes


@pytest.fixture
def node_config(node_config: Config) -> Config:
    """The node hosts the city too, so the dashboard's objects (surveys...) really exist; two
    supporters take an initiative to the city."""
    return replace(
        node_config,
        city=replace(node_config.city, enabled=True),
        participation=replace(node_config.participation, initiative_threshold=2),
    )


async def _populate(node, browsers: Browsers) -> tuple[dict[str, Browser], dict, list]:
    """Two neighbourhoods, households, a join request, tokens and links, and one browser each."""
    accounts, register = node.accounts, node.register
    setup_token = await accounts.create_setup_link_if_no_admin()  # only while there is no admin
    alpha = await register.create_neighbourhood("Alphaville")
    await register.create_neighbourhood("Betaburg")
    await register.import_register(
        register_csv(
            [
                ("Rue Alpha", "1", "", "7000", "Mons", "alphaville"),
                ("Rue Alpha", "2", "", "7000", "Mons", "alphaville"),
            ]
        )
    )
    items, _ = await register.household_page(None, "", 1)
    users = {
        RESIDENT_A: await node.user(Role.RESIDENT, "ra@example.org", "alphaville"),
        RESIDENT_B: await node.user(Role.RESIDENT, "rb@example.org", "betaburg"),
        MODERATOR_A: await node.user(Role.MODERATOR, "ma@example.org", "alphaville"),
        CITY_STAFF: await node.user(Role.CITY_STAFF, "cs@example.org"),
        ADMIN: await node.user(Role.ADMIN, "ad@example.org"),
    }
    applicant = await accounts.request_to_join(
        alpha.id,
        "Rue Alpha 9, 7000 Mons",
        "",
        NewAccount("applicant@example.org", "Applicant", PASSWORD),
        PASSWORD,
    )
    join_request = (await accounts.open_join_requests(users[ADMIN]))[0]
    assert join_request.user.id == applicant.id
    spare_token, _ = await accounts.create_api_token(users[ADMIN], "spare")
    post_id, comment_id = await node.client.app[DATABASE].write(
        "post_and_comment", _post_and_comment, alpha.id, users[RESIDENT_A].id
    )
    reset_token = await accounts.create_reset_link(users[CITY_STAFF].id)
    survey = await _survey(node, users[CITY_STAFF])
    survey_message = (await node.client.app[SURVEYS].list_received(users[RESIDENT_A]))[0]
    initiative, city_initiative = await _initiative(node, users[RESIDENT_A], users[MODERATOR_A])

    bearer = {ANONYMOUS: {}}
    for name, user in users.items():
        bearer[name] = await node.api_token(user)
    people = {ANONYMOUS: browsers.open()}
    for name, user in users.items():
        people[name] = browsers.open()
        await people[name].login(user.email)

    household_a, household_b = (item.household.id for item in items)
    post = {"id": post_id}
    comment = {"id": comment_id}
    member = {"id": users[RESIDENT_A].id}
    join = {"id": join_request.id}
    city = {"actor": "city"}
    group = {"actor": "n", "slug": "alphaville"}
    # Real ids for each placeholder, by route prefix (the first prefix that matches wins).
    params = [
        ("/setup/{token}", {"token": setup_token}),
        ("/reset/{token}", {"token": reset_token}),
        ("/account/tokens/{id}", {"id": spare_token.id}),
        ("/api/v1/tokens/{id}", {"id": spare_token.id}),
        ("/admin/households/{id}", {"id": household_a}),
        ("/api/v1/households/{id}", {"id": household_b}),
        ("/admin/users/{id}", {"id": users[CITY_STAFF].id}),
        ("/moderation/join-requests/{id}", join),
        ("/api/v1/join-requests/{id}", join),
        ("/posts/{id}", post),
        ("/api/v1/posts/{id}", post),
        ("/moderation/posts/{id}", post),
        ("/api/v1/moderation/posts/{id}", post),
        ("/comments/{id}", comment),
        ("/api/v1/comments/{id}", comment),
        ("/moderation/comments/{id}", comment),
        ("/api/v1/moderation/comments/{id}", comment),
        ("/moderation/members/{id}", member),
        ("/api/v1/moderation/members/{id}", member),
        # a conversation is named by the neighbour it is with
        ("/messages/{id}", {**member, "message_id": 1}),
        ("/api/v1/conversations/{id}", member),
        ("/api/v1/messages/{id}", {"id": 1}),
        ("/api/v1/neighbourhoods/{id}", {"id": alpha.id}),
        # none of these exists: the rule is applied before the handler looks them up
        ("/photos/{id}", {"id": 1}),
        ("/api/v1/photos/{id}", {"id": 1}),
        ("/calendar/{token}", {"token": "no-such-feed"}),
        ("/city/announcements/{id}", {"id": 1}),
        ("/api/v1/announcements/{id}", {"id": 1}),
        ("/announcements/{uuid}", {"uuid": str(uuid.uuid4())}),
        ("/city-messages/{id}", {"id": 1}),
        ("/city/budgets/{id}", {"id": 1}),
        ("/city/events/{id}", {"id": 1}),
        ("/api/v1/city/events/{id}", {"id": 1}),
        ("/city-events/{id}", {"id": 1}),
        ("/api/v1/city-events/{id}", {"id": 1}),
        ("/public/events/{uuid}", {"uuid": str(uuid.uuid4())}),
        ("/city/volunteer-calls/{id}", {"id": 1}),
        ("/volunteer-calls/{id}", {"id": 1}),
        ("/api/v1/city/volunteer-calls/{id}", {"id": 1}),
        ("/api/v1/volunteer-calls/{id}", {"id": 1}),
        ("/api/v1/city/budgets/{id}", {"id": 1}),
        ("/budgets/{id}", {"id": 1}),
        ("/api/v1/budgets/{id}", {"id": 1}),
        ("/city/surveys/{id}", {"id": survey.id}),
        ("/api/v1/city/surveys/{id}", {"id": survey.id}),
        ("/public/surveys/{uuid}", {"uuid": survey.uuid}),
        # a resident's survey is named by the message that brought it to their neighbourhood
        ("/surveys/{id}", {"id": survey_message.message_id}),
        ("/api/v1/surveys/{id}", {"id": survey_message.message_id}),
        ("/initiatives/{id}", {"id": initiative.id}),
        ("/api/v1/initiatives/{id}", {"id": initiative.id}),
        # the city's copy has an id of its own
        ("/city/initiatives/{id}", {"id": city_initiative.id}),
        ("/api/v1/city/initiatives/{id}", {"id": city_initiative.id}),
        ("/admin/federation/", {"id": 1}),
        ("/nodeinfo/{version}", {"version": "2.1"}),
        ("/ap/{actor}/{slug}", group),
        ("/ap/{actor}", city),
        ("/ap/objects/{uuid}", {"uuid": str(uuid.uuid4())}),
        ("/ap/activities/{uuid}", {"uuid": str(uuid.uuid4())}),
    ]
    return people, bearer, params


async def _survey(node, staff):
    """An open survey sent to every neighbourhood, with a question shared with the city."""
    draft = SurveyDraft(
        title="Getting around",
        intro="",
        questions=(
            SurveyQuestion("How do you get to the centre?", QuestionKind.SINGLE, ("Bike", "Bus")),
            SurveyQuestion("Ideas for the square?", QuestionKind.TEXT, shared=True),
        ),
        answer_mode=AnswerMode.RESIDENT,
        opens_at=None,
        closes_at=int(time.time()) + 7 * 24 * 3600,
        targets=Targets(everywhere=True),
        min_cell_size=None,
    )
    return await node.client.app[SURVEYS].create(staff, draft)


async def _initiative(node, author, supporter):
    """An initiative of Alphaville with enough support to have reached the city."""
    service = node.client.app[INITIATIVES]
    view = await service.propose(author, "A bench by the school", "Parents wait there every day.")
    await service.support(supporter, view.initiative.id)
    (city_initiative,) = await service.city_list()
    return view.initiative, city_initiative


def _post_and_comment(conn, neighbourhood_id: int, author_id: int) -> tuple[int, int]:
    post = NewPost(Category.GENERAL, None, "Lost cat", "Grey, answers to Mimi", "", False, None)
    post_id = posts_store.put_post(conn, neighbourhood_id, author_id, post, 0)
    return post_id, comments_store.put_comment(conn, post_id, author_id, "Seen her!", "", 0)


def _path(canonical: str, params: list[tuple[str, dict]]) -> str:
    """The route with real ids filled in; a new route with a placeholder must be given one."""
    if "{" not in canonical:
        return canonical
    for prefix, values in params:
        if canonical.startswith(prefix):
            return canonical.format(**values)
    raise AssertionError(f"give {canonical} a real path parameter in _populate()")


def _refused_by_the_rule(response, body: str) -> bool:
    """Whether the access rule turned the caller away (a handler's own 401/403 is not that)."""
    if response.status == 303:
        return response.headers.get("Location", "").startswith("/login?next=")
    return response.status in (401, 403) and (SIGN_IN_FIRST in body or NO_ACCESS in body)


def _check(method: str, path: str, who: str, allowed: bool, response, body: str) -> str | None:
    """Why the response does not match the table, or None when it does."""
    status = response.status
    location = response.headers.get("Location", "")
    if allowed:
        if _refused_by_the_rule(response, body):
            return f"should be let in, got {status} {location or body[:120]!r}"
        return None
    if path.startswith("/api/"):
        expected, message = (401, SIGN_IN_FIRST) if who == ANONYMOUS else (403, NO_ACCESS)
        if (
            status != expected
            or response.content_type != "application/problem+json"
            or message not in body
        ):
            return f"should get {expected} problem+json, got {status} {response.content_type}"
        return None
    if who == ANONYMOUS and method == "GET":
        want = f"/login?next={quote(path)}"
        if status != 303 or location != want:
            return f"should be sent to {want}, got {status} {location!r}"
        return None
    if who == ANONYMOUS:
        if status != 401 or SIGN_IN_FIRST not in body:
            return f"should get the 401 'sign in' page, got {status}"
        return None
    if status != 403 or NO_ACCESS not in body:
        return f"should get the 403 'no access' page, got {status}"
    return None


def test_the_table_covers_every_route_and_matches_the_declared_rules(node_config):
    # Given the app as the factory builds it
    routes = registered_routes(create_app(node_config))

    # Then every role is tried, every route is in the table, and no row names a route that is gone
    assert {role for role in ROLE_OF.values() if role} == set(Role)
    assert sorted(set(routes) - set(ALLOWED)) == [], "routes missing from the access table"
    assert sorted(set(ALLOWED) - set(routes)) == [], "table rows for routes that do not exist"

    # And each route's declared rule lets in exactly the people the table says
    mismatches = []
    for key, route in routes.items():
        rule = rule_of(route.handler)
        assert rule is not None, f"{key} declares no access rule"
        by_rule = {who for who, role in ROLE_OF.items() if rule.allows(role)}
        if by_rule != set(ALLOWED[key]):
            mismatches.append((key, sorted(by_rule), sorted(ALLOWED[key])))
    assert mismatches == []


async def test_every_route_lets_in_exactly_the_roles_in_the_table(node, browsers):
    # Given a node with both neighbourhoods, every kind of person signed in, and real ids
    people, bearer, params = await _populate(node, browsers)
    routes = registered_routes(node.client.app)
    # Signing out ends a session, so every other route is tried first.
    order = sorted(
        routes, key=lambda key: SESSION_ENDERS.index(key) + 1 if key in SESSION_ENDERS else 0
    )

    # When each of them calls each route
    failures = []
    for method, canonical in order:
        if (method, canonical) not in ALLOWED:
            failures.append(f"{method} {canonical}: not in the access table")
            continue
        path = _path(canonical, params)
        for who in EVERYONE:
            browser = people[who]
            if canonical.startswith("/api/"):
                kwargs = {"headers": bearer[who]}
                if method in ("POST", "PUT", "PATCH"):
                    kwargs["json"] = {}
                response = await browser.request(method, path, **kwargs)
            elif method != "GET":
                response = await browser.post_form(path, {}, method=method)
            else:
                response = await browser.request(method, path)
            allowed = who in ALLOWED[(method, canonical)]
            problem = _check(
                method, path, who, allowed, response, await response.text(errors="replace")
            )
            if problem:
                failures.append(f"{method} {path} as {who}: {problem}")

    # Then the outcome is the table's, for every route and every person
    assert failures == [], "\n".join(failures)


async def test_a_moderator_cannot_decide_a_join_request_of_another_neighbourhood(node, browsers):
    # Given a moderator of Alphaville and someone asking to join Betaburg
    await node.register.create_neighbourhood("Alphaville")
    beta = await node.register.create_neighbourhood("Betaburg")
    moderator = await node.user(Role.MODERATOR, "ma@example.org", "alphaville")
    applicant = await node.accounts.request_to_join(
        beta.id,
        "Rue Beta 4, 7000 Mons",
        "I live above the bakery",
        NewAccount("newcomer@example.org", "Newcomer", PASSWORD),
        PASSWORD,
    )
    admin = await node.user(Role.ADMIN, "ad@example.org")
    request_id = (await node.accounts.open_join_requests(admin))[0].id
    browser = browsers.open()
    await browser.login(moderator.email)

    # When the moderator looks at the requests to join
    page = await browser.get("/moderation/join-requests")

    # Then Betaburg's request, with its address and message, is not shown to them
    text = await page.text()
    assert page.status == 200
    assert "Newcomer" not in text
    assert "Rue Beta 4" not in text
    assert "bakery" not in text

    # When they try to decide it anyway, on the page and on the API
    response = await browser.post_form(
        f"/moderation/join-requests/{request_id}", {"decision": "approve"}
    )
    api = await browser.request(
        "POST",
        f"/api/v1/join-requests/{request_id}",
        json={"decision": "approve"},
        headers=await node.api_token(moderator),
    )
    listed = await browser.request(
        "GET", "/api/v1/join-requests", headers=await node.api_token(moderator)
    )

    # Then both are refused, the request stays open and the newcomer still waits
    assert response.status == 403
    assert api.status == 403
    assert api.content_type == "application/problem+json"
    assert await listed.json() == []
    still_open = await node.accounts.open_join_requests(admin)
    assert [r.id for r in still_open] == [request_id]
    assert (await node.accounts.user_by_email(applicant.email)).status.value == "pending"


async def test_a_resident_sees_only_their_own_neighbourhood(node, browsers):
    # Given residents of two neighbourhoods, Alphaville having more members
    await node.register.create_neighbourhood("Alphaville")
    await node.register.create_neighbourhood("Betaburg")
    await node.user(Role.RESIDENT, "ra@example.org", "alphaville")
    await node.user(Role.MODERATOR, "ma@example.org", "alphaville")
    resident_b = await node.user(Role.RESIDENT, "rb@example.org", "betaburg")
    browser = browsers.open()
    await browser.login(resident_b.email)

    # When the resident of Betaburg opens their neighbourhood page
    page = await browser.get("/neighbourhood")
    text = await page.text()

    # Then it is Betaburg's, and nothing of Alphaville shows
    assert page.status == 200
    assert "<h1>Betaburg</h1>" in text
    assert "1 neighbour has joined so far." in text
    assert "Alphaville" not in text

    # And the pages listing every neighbourhood are closed to them
    for path in ("/city", "/admin", "/admin/households", "/moderation/join-requests"):
        response = await browser.get(path)
        assert response.status == 403, path
        assert "Alphaville" not in await response.text(), path
