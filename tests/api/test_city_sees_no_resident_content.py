"""City staff see counts, never a resident: a canary test over everything the dashboard shows.

One node hosts the city and two neighbourhoods. Residents write unique strings ("canaries") into
every kind of content they have: posts, comments, a help request, an event, direct messages,
reports, their directory and helper entries, answers to survey questions that are not shared
with the city, a volunteer reply that keeps its contact at home, an initiative that never
reached the city, a request to join; they react, RSVP, support and share out a budget. Their
names and e-mail addresses are canaries too.

Then city staff crawl every GET route the router lets them call (so a new route is covered
without editing this file), the page of each object the city made, its exports, and every link
found on the way. No byte of it may hold a canary. The routes they may not call must refuse
them. And what the city *is* meant to see (respondents, a shared answer, a shared volunteer
contact, an initiative past the threshold) must show, so a crawl that reached nothing fails.
"""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import pytest

from node.api.access import rule_of
from node.api.app_keys import (
    ANNOUNCEMENTS,
    BUDGETS,
    CITY_EVENTS,
    DATABASE,
    DIRECTORY,
    HELPERS,
    INITIATIVES,
    MESSAGES,
    MODERATION,
    REPORTING,
    SURVEYS,
    VOLUNTEER_CALLS,
)
from node.config import Config
from node.models import Role, User
from node.models.budgets import BudgetDraft, DraftProject
from node.models.community import DirectorySettings
from node.models.moderation import ItemKind
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.accounts import NewAccount
from node.services.announcements import AnnouncementDraft
from node.services.city_broadcast import Targets
from node.services.city_events import EventDraft
from node.services.surveys import SurveyDraft
from node.services.volunteer_calls import VolunteerAnswer, VolunteerCallDraft
from node.storage import city_messages as city_messages_store
from tests.api.browser import (
    Browser,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.api.community_people import person, signed_in
from tests.api.posts_support import posts_of, write_post
from tests.api.test_access_table import NO_ACCESS, registered_routes
from tests.conftest import PASSWORD, Node

DAY = 24 * 3600
MAX_PAGES = 600  # the crawl's bound; a few hundred pages are expected
FEDERATION_PATHS = ("/ap/", "/.well-known/", "/nodeinfo/")
ACTIVITY_JSON = "application/activity+json"
LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)

# Routes holding what residents say or who they are: the router must refuse city staff on each.
RESIDENT_ROUTES = {
    "/neighbourhood",
    "/posts/{id}",
    "/posts/{id}/edit",
    "/events",
    "/search",
    "/messages",
    "/messages/{id}",
    "/directory",
    "/helpers",
    "/notifications",
    "/surveys",
    "/surveys/{id}",
    "/city-events/{id}",
    "/volunteer-calls/{id}",
    "/budgets/{id}",
    "/initiatives",
    "/initiatives/{id}",
    "/moderation",
    "/moderation/members",
    "/moderation/members/{id}",
    "/moderation/join-requests",
    "/admin/users",
    "/admin/households",
    "/api/v1/feed",
    "/api/v1/posts/{id}",
    "/api/v1/posts/{id}/comments",
    "/api/v1/conversations",
    "/api/v1/conversations/{id}",
    "/api/v1/directory",
    "/api/v1/helpers",
    "/api/v1/surveys/{id}",
    "/api/v1/initiatives/{id}",
    "/api/v1/moderation/members",
    "/api/v1/join-requests",
}


@pytest.fixture
def node_config(node_config: Config) -> Config:
    """The node hosts the city; k = 2 so small groups of residents give visible figures, and
    three supporters take an initiative to the city."""
    return replace(
        node_config,
        city=replace(node_config.city, enabled=True),
        participation=replace(node_config.participation, min_cell_size=2, initiative_threshold=3),
    )


@dataclass
class World:
    """What the residents wrote and the city made, and the ids to reach each of them."""

    canaries: list[str] = field(default_factory=list)  # none of these may reach city staff
    allowed: dict[str, str] = field(default_factory=dict)  # what city staff should see
    ids: dict[str, int | str] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)

    def canary(self, what: str) -> str:
        text = f"CANARY-{what}-{uuid.uuid4().hex[:12]}"
        self.canaries.append(text)
        return text


async def _resident(
    node: Node, world: World, first: str, neighbourhood: str, role: Role = Role.RESIDENT
) -> User:
    """A resident whose display name and e-mail address are canaries."""
    tag = uuid.uuid4().hex[:10]
    user = await person(node, f"{first}{tag}", neighbourhood, role)
    world.canaries += [tag, user.display_name, user.email]
    world.people[first] = user
    return user


async def _city_message(node: Node, user: User, kind: str) -> int:
    """The id under which the resident's neighbourhood received the city's object of `kind`."""
    messages = await node.client.app[DATABASE].read(
        "messages",
        city_messages_store.list_city_messages_for_neighbourhood,
        user.neighbourhood_id,
        int(time.time()),
    )
    return next(m.id for m in messages if m.kind == kind)


async def _residents_write_everything(node: Node, world: World, staff: User) -> None:
    app = node.client.app
    alpha = await node.register.create_neighbourhood("Alphaville")
    await node.register.create_neighbourhood("Betaburg")
    world.ids["alphaville"] = alpha.id
    ann = await _resident(node, world, "Annabel", "alphaville")
    bob = await _resident(node, world, "Barnabe", "alphaville")
    cat = await _resident(node, world, "Capucine", "alphaville")
    dan = await _resident(node, world, "Dieudonne", "alphaville")
    mod = await _resident(node, world, "Modeste", "alphaville", Role.MODERATOR)
    eve = await _resident(node, world, "Evariste", "betaburg")
    fay = await _resident(node, world, "Felicite", "betaburg")
    alphaville = (ann, bob, cat, dan)
    world.ids.update(resident=ann.id, neighbour=bob.id)

    # Conversations: posts, comments, reactions, a help request, an event and its RSVP
    posts = posts_of(node)
    post = await write_post(node, ann, world.canary("post-title"), body=world.canary("post"))
    help_request = await write_post(
        node, ann, world.canary("help-title"), category="help_request", body=world.canary("help")
    )
    event = await write_post(
        node,
        bob,
        world.canary("event-title"),
        category="event",
        body=world.canary("event"),
        starts_at=int(time.time()) + 3 * DAY,
        location=world.canary("event-place"),
    )
    beta_post = await write_post(node, eve, world.canary("beta-title"), body=world.canary("beta"))
    comment = await posts.interactions.add_comment(bob, post, world.canary("comment"))
    await posts.interactions.add_comment(fay, beta_post, world.canary("beta-comment"))
    await posts.interactions.add_comment(bob, help_request, world.canary("help-answer"))
    for user in alphaville:
        await posts.interactions.toggle_reaction(user, post, "thanks")
    await posts.interactions.toggle_reaction(fay, beta_post, "support")
    await posts.interactions.mark_resolved(ann, help_request, helper_id=bob.id)
    for user in (ann, cat):
        await posts.events.toggle_rsvp(user, event, "going")
    world.ids.update(post=post, comment=comment.id, event_post=event)

    # Direct messages, a report to the moderators, the directory and the helpers register
    messages = app[MESSAGES]
    await messages.send(ann, bob.id, world.canary("message"))
    await messages.send(bob, ann.id, world.canary("reply"))
    await messages.send(eve, fay.id, world.canary("beta-message"))
    moderation = app[MODERATION]
    await moderation.report(bob, ItemKind.POST, post, "other", world.canary("report"))
    await moderation.act_on_item(mod, ItemKind.POST, post, "dismiss", world.canary("mod-note"))
    await moderation.act_on_member(mod, dan.id, "warn", world.canary("warning"))
    await app[DIRECTORY].save_settings(
        cat, DirectorySettings(True, world.canary("bio"), True, True, True)
    )
    await app[HELPERS].register(cat, [], world.canary("helper-note"), volunteer=True)
    await app[HELPERS].register(dan, [], world.canary("volunteer-note"), volunteer=True)
    applicant_tag = uuid.uuid4().hex[:10]
    applicant = NewAccount(
        f"applicant{applicant_tag}@example.org", f"Aglae{applicant_tag}", PASSWORD
    )
    world.canaries += [applicant_tag]
    await node.accounts.request_to_join(
        alpha.id, world.canary("address"), world.canary("join-message"), applicant, PASSWORD
    )

    # The city's objects, sent to every neighbourhood
    everywhere = Targets(everywhere=True)
    shared_question = "What would make the square nicer?"
    survey = await app[SURVEYS].create(
        staff,
        SurveyDraft(
            title="Life in the neighbourhood",
            intro="",
            questions=(
                SurveyQuestion("Do you walk to the market?", QuestionKind.SINGLE, ("Yes", "No")),
                SurveyQuestion(shared_question, QuestionKind.TEXT, shared=True),
                SurveyQuestion("Anything else, just for us?", QuestionKind.TEXT, shared=False),
            ),
            answer_mode=AnswerMode.RESIDENT,
            opens_at=None,
            closes_at=int(time.time()) + 7 * DAY,
            targets=everywhere,
            min_cell_size=None,
        ),
    )
    city_event = await app[CITY_EVENTS].create(
        staff,
        EventDraft(
            title="Town hall meeting",
            description="The budget for next year.",
            location="Town hall",
            starts_at=int(time.time()) + 5 * DAY,
            targets=everywhere,
        ),
    )
    call = await app[VOLUNTEER_CALLS].publish(
        staff,
        VolunteerCallDraft(
            "Plant trees in the park", "Bring gloves.", everywhere, needed=10, ends_at=None
        ),
    )
    budget = await app[BUDGETS].create(
        staff,
        BudgetDraft(
            title="Neighbourhood budget",
            description="Share out 10,000 euros.",
            amount=10_000,
            opens_at=None,
            closes_at=int(time.time()) + 7 * DAY,
            projects=(
                DraftProject("Benches on the square", "Ten oak benches", 4000),
                DraftProject("Bike racks", "Forty racks", 6000),
            ),
            targets=("all",),
        ),
    )
    announcement = await app[ANNOUNCEMENTS].publish(
        staff,
        AnnouncementDraft("Road works", "Rue Alpha closes on Monday.", all_neighbourhoods=True),
    )
    world.ids.update(
        survey=survey.id,
        survey_uuid=survey.uuid,
        city_event=city_event.id,
        city_event_uuid=city_event.object_uri.rsplit("/", 1)[1],
        call=call.id,
        budget=budget.id,
        announcement=announcement.id,
        announcement_uuid=announcement.object_uri.rsplit("/", 1)[1],
    )

    # Residents answer: shared texts may reach the city, the others never
    for n, user in enumerate((*alphaville, eve, fay)):
        message_id = (await app[SURVEYS].list_received(user))[0].message_id
        answers = {0: [n % 2], 2: world.canary("unshared-answer")}
        if user in alphaville:
            answers[1] = f"More trees, please ({n})"
            world.allowed[f"shared answer {n}"] = answers[1]
        elif user is eve:
            answers[1] = world.canary("lone-shared-answer")  # 1 < k in Betaburg: stays home
        await app[SURVEYS].answer(user, message_id, answers)
    world.ids["survey_message"] = await _city_message(node, ann, "survey")
    world.allowed["shared question"] = shared_question

    # RSVPs to the city's event, views of its announcement
    for user, answer in ((ann, "going"), (bob, "maybe"), (cat, "going"), (eve, "going")):
        await app[CITY_EVENTS].rsvp(user, await _city_message(node, user, "event"), answer)
    world.ids["city_event_message"] = await _city_message(node, ann, "event")
    announcement_message = await _city_message(node, ann, "announcement")
    for user in alphaville:
        await app[CITY_EVENTS].record_view(user, announcement_message)
    world.ids["announcement_message"] = announcement_message

    # Volunteers: Capucine shares what she types; Dieudonne keeps everything at home
    calls = app[VOLUNTEER_CALLS]
    call_message = await _city_message(node, cat, "volunteer_call")
    contact = f"Volunteer contact {uuid.uuid4().hex[:8]}"
    await calls.answer(
        cat, call_message, VolunteerAnswer("See you there", True, contact, "06 12 34 56 78")
    )
    world.allowed["shared contact"] = contact
    await calls.answer(
        dan,
        call_message,
        VolunteerAnswer(
            world.canary("volunteer-message"),
            False,
            world.canary("volunteer-name"),
            world.canary("volunteer-contact"),
        ),
    )
    world.ids["call_message"] = call_message

    # Budget allocations: two in Alphaville (k = 2), one alone in Betaburg
    budget_message = await _city_message(node, ann, "budget")
    await app[BUDGETS].allocate(ann, budget_message, {0: 4000, 1: 6000})
    await app[BUDGETS].allocate(bob, budget_message, {0: 4000})
    await app[BUDGETS].allocate(eve, await _city_message(node, eve, "budget"), {1: 1000})
    world.ids["budget_message"] = budget_message

    # Initiatives: one with three supporters reaches the city (text and count); one stays home
    initiatives = app[INITIATIVES]
    title = "A bench by the school gate"
    proposed = await initiatives.propose(ann, title, "Parents wait there every afternoon.")
    for user in (bob, cat):
        await initiatives.support(user, proposed.initiative.id)
    world.allowed["initiative"] = title
    lone = await initiatives.propose(
        dan, world.canary("initiative-title"), world.canary("initiative-text")
    )
    world.ids.update(initiative=proposed.initiative.id, lone_initiative=lone.initiative.id)
    (city_initiative,) = await initiatives.city_list()
    world.ids["city_initiative"] = city_initiative.id

    # Reports go out, the survey and the budget close, the final reports go out
    reporting = app[REPORTING]
    await reporting.drain()
    await app[SURVEYS].close(staff, survey.id)
    await app[BUDGETS].close(staff, budget.id)
    await reporting.drain()


def _params(world: World) -> list[tuple[str, list[dict]]]:
    """Real values for each placeholder, by route prefix (the first prefix that matches wins).

    City routes get the city's objects; resident routes get the canary objects, so that a rule
    opened to city staff by mistake would show a canary to the crawl."""
    ids = world.ids

    def one(key: str, name: str = "id") -> list[dict]:
        return [{name: ids[key]}]

    post, comment = one("post"), one("comment")
    return [
        ("/city/surveys/{id}", one("survey")),
        ("/api/v1/city/surveys/{id}", one("survey")),
        ("/public/surveys/{uuid}", one("survey_uuid", "uuid")),
        ("/city/events/{id}", one("city_event")),
        ("/api/v1/city/events/{id}", one("city_event")),
        ("/public/events/{uuid}", one("city_event_uuid", "uuid")),
        ("/city/volunteer-calls/{id}", one("call")),
        ("/api/v1/city/volunteer-calls/{id}", one("call")),
        ("/city/budgets/{id}", one("budget")),
        ("/api/v1/city/budgets/{id}", one("budget")),
        ("/city/initiatives/{id}", one("city_initiative")),
        ("/city/announcements/{id}", one("announcement")),
        ("/announcements/{uuid}", one("announcement_uuid", "uuid")),
        ("/ap/{actor}/{slug}", [{"actor": "n", "slug": s} for s in ("alphaville", "betaburg")]),
        ("/ap/{actor}", [{"actor": "city"}, {"actor": "actor"}]),
        ("/nodeinfo/{version}", [{"version": "2.0"}, {"version": "2.1"}]),
        # what only a link in a resident's letter or mailbox opens: city staff have no value
        ("/ap/objects/{uuid}", [{"uuid": str(uuid.uuid4())}]),
        ("/ap/activities/{uuid}", [{"uuid": str(uuid.uuid4())}]),
        ("/calendar/{token}", [{"token": "not-a-feed"}]),
        ("/setup/{token}", [{"token": "not-a-token"}]),
        ("/reset/{token}", [{"token": "not-a-token"}]),
        # resident routes, with the residents' own objects
        ("/posts/{id}", post),
        ("/api/v1/posts/{id}", post),
        ("/comments/{id}", comment),
        ("/messages/{id}", one("neighbour")),
        ("/api/v1/conversations/{id}", one("neighbour")),
        ("/moderation/members/{id}", one("resident")),
        ("/surveys/{id}", one("survey_message")),
        ("/api/v1/surveys/{id}", one("survey_message")),
        ("/city-events/{id}", one("city_event_message")),
        ("/city-messages/{id}", one("announcement_message")),
        ("/volunteer-calls/{id}", one("call_message")),
        ("/budgets/{id}", one("budget_message")),
        ("/initiatives/{id}", [{"id": ids["initiative"]}, {"id": ids["lone_initiative"]}]),
        ("/api/v1/initiatives/{id}", [{"id": ids["initiative"]}, {"id": ids["lone_initiative"]}]),
        ("/api/v1/neighbourhoods/{id}", one("alphaville")),
        ("/photos/{id}", [{"id": 1}]),  # no photo exists: the rule answers first
        ("/api/v1/photos/{id}", [{"id": 1}]),
    ]


def _paths(canonical: str, params: list[tuple[str, list[dict]]]) -> list[str]:
    if "{" not in canonical:
        return [canonical]
    for prefix, values in params:
        if canonical.startswith(prefix):
            return [canonical.format(**v) for v in values]
    raise AssertionError(f"give {canonical} real path parameters in _params()")


@dataclass
class Crawl:
    """City staff's view of the node: each URL fetched, with its status and body."""

    tab: Browser
    bearer: dict[str, str]
    base_url: str
    seen: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    bodies: dict[tuple[str, str], str] = field(default_factory=dict)

    async def fetch(self, path: str, accept: str | None = None) -> tuple[int, str]:
        """The status, and the body with the headers after it: a canary in a Location or a
        file name would leak as much as one in a page."""
        key = (path, accept or "")
        if key not in self.seen:
            headers = dict(self.bearer) if path.startswith("/api/") else {}
            if accept:
                headers["Accept"] = accept
            response = await self.tab.request("GET", path, headers=headers)
            body = await response.text(errors="replace")
            self.bodies[key] = body
            head = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
            self.seen[key] = (response.status, f"{body}\n{head}")
        return self.seen[key]

    def links(self, path: str, body: str) -> set[str]:
        """Same-origin paths named in a page (href, src) or in a JSON document (URLs)."""
        own = urlsplit(str(self.tab.url("/")))
        origin = f"{own.scheme}://{own.netloc}"
        found = {html.unescape(link) for link in LINK.findall(body)}
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        found |= {
            text
            for text in _strings(document)
            if text.startswith((self.base_url, origin, "/")) and not re.search(r"[\s{]", text)
        }
        paths = set()
        for link in found:
            if link.startswith(self.base_url):
                link = link[len(self.base_url) :] or "/"
            if link.startswith(("#", "mailto:", "tel:", "data:", "javascript:")):
                continue
            parts = urlsplit(urljoin(f"{origin}{path}", link))
            if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith("/static/"):
                continue
            paths.add(parts.path + (f"?{parts.query}" if parts.query else ""))
        return paths

    async def run(self, seeds: list[str]) -> None:
        queue, queued = list(seeds), set(seeds)
        while queue and len(self.seen) < MAX_PAGES:
            path = queue.pop(0)
            accepts = [None]
            if path.startswith(FEDERATION_PATHS):
                accepts.append(ACTIVITY_JSON)
            for accept in accepts:
                status, _ = await self.fetch(path, accept)
                if status >= 400:
                    continue
                for link in sorted(self.links(path, self.bodies[(path, accept or "")]) - queued):
                    queued.add(link)
                    queue.append(link)
        assert not queue, f"the crawl stopped at {MAX_PAGES} pages; raise the bound"


def _strings(document) -> list[str]:
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for value in document.values() for s in _strings(value)]
    if isinstance(document, list):
        return [s for value in document for s in _strings(value)]
    return []


async def test_city_staff_find_no_resident_content_anywhere_they_may_go(node, browsers):
    # Given residents of two neighbourhoods who wrote, reacted, answered, supported and chose
    world = World()
    staff = await node.accounts.create_user(
        "staff@city.example", "City Staff", Role.CITY_STAFF, None
    )
    await _residents_write_everything(node, world, staff)
    params = _params(world)
    routes = registered_routes(node.client.app)
    gets = {canonical: route for (method, canonical), route in routes.items() if method == "GET"}
    open_to_staff = {
        c for c, route in gets.items() if rule_of(route.handler).allows(Role.CITY_STAFF)
    }

    # When city staff open every page the router lets them open, and every link on the way
    tab = await signed_in(node, browsers, staff)
    crawl = Crawl(tab, await node.api_token(staff), node.config.base_url)
    seeds = [path for canonical in sorted(open_to_staff) for path in _paths(canonical, params)]
    host = urlsplit(node.config.base_url).netloc
    seeds += [
        f"/.well-known/webfinger?resource=acct:{name}@{host}" for name in ("city", "alphaville")
    ]
    await crawl.run(seeds)

    # Then no byte they received holds a resident's words, name or e-mail address (which a
    # resident, as a control, does find on their own pages: the canaries are there to be found)
    ann, bob = world.people["Annabel"], world.people["Barnabe"]
    own = await signed_in(node, browsers, ann)
    post_page = await (await own.get(f"/posts/{world.ids['post']}")).text()
    thread = await (await own.get(f"/messages/{bob.id}")).text()
    for page, expected in ((post_page, "-post-"), (post_page, "-comment-"), (thread, "-reply-")):
        assert any(c in page for c in world.canaries if expected in c), expected
    assert bob.display_name in post_page and bob.display_name in thread
    leaks = [
        f"{path} ({accept or 'default accept'}, {status}) shows {canary}"
        for (path, accept), (status, text) in crawl.seen.items()
        for canary in world.canaries
        if canary.lower() in text.lower()
    ]
    assert leaks == [], "\n".join(leaks)

    # And what the city is meant to see is there: the crawl reached the right pages
    survey = crawl.seen[(f"/city/surveys/{world.ids['survey']}", "")][1]
    assert world.allowed["shared question"] in survey
    for key, text in world.allowed.items():
        if key.startswith("shared answer"):
            assert text in survey, key
    results = json.loads(
        await (await tab.get(f"/city/surveys/{world.ids['survey']}/results.json")).text()
    )
    by_area = {area["name"]: area for area in results["areas"]}
    assert by_area["Alphaville"]["respondents"] == 4
    assert by_area["Betaburg"]["respondents"] == 2
    assert results["overall"]["respondents"] == 6
    assert re.search(r'<td class="numeric">4</td>', survey), "Alphaville's respondents"
    call_page = crawl.seen[(f"/city/volunteer-calls/{world.ids['call']}", "")][1]
    assert world.allowed["shared contact"] in call_page
    initiatives = crawl.seen[("/city/initiatives", "")][1]
    assert world.allowed["initiative"] in initiatives

    # And every route they may not open refuses them, holding nothing back
    refused = sorted(set(gets) - open_to_staff)
    assert sorted(RESIDENT_ROUTES - set(refused)) == [], "resident routes open to city staff"
    let_in = []
    for canonical in refused:
        for path in _paths(canonical, params):
            status, text = await crawl.fetch(path)
            if status != 403 or NO_ACCESS not in text:
                let_in.append(f"{path}: {status}")
            assert not [c for c in world.canaries if c.lower() in text.lower()], path
    assert let_in == [], "\n".join(let_in)

    # And every page they may open answered (a page that fails hides what it would show)
    broken = [
        f"{path} ({accept or 'default accept'}): {status}"
        for (path, accept), (status, _) in crawl.seen.items()
        if status >= 500
    ]
    assert broken == [], "\n".join(broken)
    for path in seeds:
        if path.startswith("/city"):
            assert crawl.seen[(path, "")][0] == 200, path
    city_pages = [p for p, _ in crawl.seen if p.startswith(("/city/", "/api/v1/city/"))]
    assert len(city_pages) >= 20, city_pages
