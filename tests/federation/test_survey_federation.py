"""The survey across the federation (issue 5's acceptance test): a city node hosting three
neighbourhoods and two neighbourhood nodes on their own ports, real HTTP, real signatures.

The city publishes a 4-question survey to all five neighbourhoods; 40 residents, who joined
with their households' invitation codes, answer on their home nodes, some change their
answer; the city closes the survey. The city's results must equal a tally computed here
directly from the answers, per neighbourhood and overall, small cells suppressed; and the
captured traffic must hold no resident identifier and no unshared answer text.
"""

from __future__ import annotations

import random
import time

import pytest

from node.api.app_keys import SURVEYS
from node.errors import InvalidInput
from node.models import Role
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.accounts import NewAccount
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft
from node.storage import city_messages as city_messages_store
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.conftest import register_csv
from tests.federation.conftest import FederatedNode, Network

PASSWORD = "correct horse battery"
K = 5
QUESTIONS = (
    SurveyQuestion(
        "Which day suits the repair café?", QuestionKind.SINGLE, ("Saturday", "Sunday", "Wednesday")
    ),
    SurveyQuestion(
        "What should the park get?",
        QuestionKind.MULTIPLE,
        ("Benches", "Trees", "Lights", "A fountain"),
    ),
    SurveyQuestion("How safe do you feel cycling here?", QuestionKind.SCALE, scale_max=5),
    SurveyQuestion("What would you change first?", QuestionKind.TEXT),  # not shared
)
SHARED_TEXT = (SurveyQuestion("A message for the mayor?", QuestionKind.TEXT, shared=True),)
# How many residents answer in each neighbourhood: the small ones show suppression at work.
SIZES = {"centre": 14, "nord": 6, "ghlin": 3, "nimy": 11, "havre": 6}


def suppress_expected(counts: list[int], answered: int, adds_up: bool) -> list[int | None]:
    """The rule as docs/privacy.md states it, written out independently of the code."""
    if answered < K:
        return [None] * len(counts)
    small = [0 < c < K for c in counts]
    if not adds_up or not any(small):
        return [None if is_small else c for c, is_small in zip(counts, small, strict=True)]
    # Cells that add up, one of them small: zeros and the smallest large cells hide with it.
    smallest_large = min((c for c in counts if c >= K), default=None)
    return [
        None if is_small or c in (0, smallest_large) else c
        for c, is_small in zip(counts, small, strict=True)
    ]


async def join(node: FederatedNode, slug: str, count: int, label: str) -> list:
    """`count` residents of `slug`, each from their own household, joined with its code."""
    await node.register.import_register(
        register_csv(
            [(f"Rue {label}", str(n + 1), "", "7000", "Mons", slug) for n in range(count + 2)]
        )
    )
    households, _ = await node.register.household_page(None, "", 1)
    codes = [h.code for h in households if h.household.street == f"Rue {label}"]
    return [
        await node.accounts.sign_up_with_code(
            code,
            NewAccount(
                f"{label.lower()}{n}@residents.example", f"Resident{label}{n:02d}", PASSWORD
            ),
            "tests",
            PASSWORD,
        )
        for n, code in enumerate(codes[:count])
    ]


async def survey_message_id(node: FederatedNode, user, object_uri: str) -> int:
    found = await node.federation.db.read(
        "find", city_messages_store.get_city_object_by_uri, object_uri
    )
    assert found is not None, f"{node.name} did not receive the survey"
    return found.message_id


def random_answer(rng: random.Random, n: int, secret: str) -> dict:
    answers: dict = {
        0: [rng.choice([0, 0, 0, 1, 2])],
        1: sorted(rng.sample(range(4), rng.randint(1, 3))),
        2: [rng.choice([3, 4, 4, 2, 0])],
    }
    if n % 3 != 0:
        answers[3] = f"UNSHARED-TEXT {secret}"
    return answers


async def test_survey_results_equal_a_direct_tally_and_no_answer_leaves_a_home_node(
    network: Network,
):
    settings = {"participation_min_cell_size": str(K)}
    city = await network.node("mons", city=True, **settings)
    for name in ("Centre", "Nord", "Ghlin"):
        await city.register.create_neighbourhood(name)
    nimy = await network.node("nimy", **settings)
    await nimy.register.create_neighbourhood("Nimy")
    havre = await network.node("havre", **settings)
    await havre.register.create_neighbourhood("Havre")
    for node in (nimy, havre):
        await city.peering.set_host_policy(node.host, "allow")
        await node.peering.follow_city(f"city@{city.host}", None)
    await network.settle()

    residents = {}
    for node, slug in (
        (city, "centre"),
        (city, "nord"),
        (city, "ghlin"),
        (nimy, "nimy"),
        (havre, "havre"),
    ):
        residents[slug] = (node, await join(node, slug, SIZES[slug], slug.title()))
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff Member", Role.CITY_STAFF, None, PASSWORD
    )
    surveys = city.app[SURVEYS]
    survey = await surveys.create(
        staff,
        SurveyDraft(
            title="Our neighbourhoods in 2027",
            intro="Tell us what matters to you.",
            questions=QUESTIONS,
            answer_mode=AnswerMode.RESIDENT,
            opens_at=None,
            closes_at=int(time.time()) + 7 * 86400,
            targets=Targets(everywhere=True),
        ),
    )
    await network.settle()

    rng = random.Random(2027)
    final_answers: dict[str, list[dict]] = {}
    for slug, (node, people) in residents.items():
        node_surveys = node.app[SURVEYS]
        message_id = await survey_message_id(node, people[0], survey.object_uri)
        final_answers[slug] = []
        for n, person in enumerate(people):
            first = random_answer(rng, n, f"{slug}-{n}")
            await node_surveys.answer(person, message_id, first)
            if n % 4 == 1:  # some change their mind before closing
                changed = random_answer(rng, n + 1, f"{slug}-{n}-changed")
                await node_surveys.answer(person, message_id, changed)
                first = changed
            final_answers[slug].append(first)
    await network.settle()

    # While open, the city sees participation only.
    interim = await surveys.results(survey.id)
    assert {a.name for a in interim.areas} == {"Centre", "Nord", "Ghlin", "Nimy", "Havre"}
    assert all(not a.final and a.questions == () for a in interim.areas)

    await surveys.close(staff, survey.id)
    await network.settle()
    results = await surveys.results(survey.id)
    assert results.complete and results.missing == ()

    by_name = {a.name.lower(): a for a in results.areas}
    overall_expected: list[list[int]] = [[0] * len(q.cells) for q in QUESTIONS]
    for slug, answers in final_answers.items():
        area = by_name[slug]
        assert area.respondents == SIZES[slug]
        assert area.responding_households == SIZES[slug]
        assert area.registered_households == SIZES[slug]
        for n, q in enumerate(QUESTIONS):
            result = area.questions[n]
            answered = sum(1 for a in answers if n in a)
            assert result.answered == answered
            if q.kind is QuestionKind.TEXT:
                assert result.texts == ()  # not shared: stays on the home node
                continue
            raw = [sum(1 for a in answers if c in a.get(n, [])) for c in range(len(q.cells))]
            expected = suppress_expected(raw, answered, q.adds_up)
            assert list(result.counts) == expected, (slug, n, raw)
            for c, value in enumerate(expected):
                overall_expected[n][c] += value or 0
    # Overall: the sum of what each neighbourhood showed; nothing hidden is added back.
    for n, q in enumerate(QUESTIONS):
        if q.kind is not QuestionKind.TEXT:
            assert list(results.overall.questions[n].counts) == overall_expected[n]
    assert results.overall.respondents == sum(SIZES.values())
    # Small neighbourhoods really were suppressed (the test would prove nothing otherwise).
    assert all(c is None for c in by_name["ghlin"].questions[0].counts)
    assert any(c is None for a in results.areas for q in a.questions for c in q.counts)

    # Answers can no longer change once closed, on any node.
    node, people = residents["nimy"]
    node_surveys = node.app[SURVEYS]
    message_id = await survey_message_id(node, people[0], survey.object_uri)
    with pytest.raises(InvalidInput):
        await node_surveys.answer(people[0], message_id, {0: [1]})

    # A second survey whose free-text question is shared with the city: the texts travel,
    # alphabetically, without who wrote them.
    shared = await surveys.create(
        staff,
        SurveyDraft(
            title="A word for the mayor",
            intro="",
            questions=SHARED_TEXT,
            answer_mode=AnswerMode.RESIDENT,
            opens_at=None,
            closes_at=int(time.time()) + 86400,
            targets=Targets(remote=(nimy.group_uri("nimy"),)),
        ),
    )
    await network.settle()
    message_id = await survey_message_id(nimy, people[0], shared.object_uri)
    written = sorted(f"SHARED-TEXT {n:02d}" for n in range(len(people)))
    for person, text in zip(people, reversed(written), strict=True):
        await node_surveys.answer(person, message_id, {0: text})
    await surveys.close(staff, shared.id)
    await network.settle()
    shared_results = await surveys.results(shared.id)
    assert list(shared_results.areas[0].questions[0].texts) == written

    # The wire: no resident identifier, no text of a question not shared; the survey and
    # the shared texts did travel (else this would prove nothing).
    for _, (_node, people) in residents.items():
        for person in people:
            assert not network.traffic.contains(person.email), person.email
            assert not network.traffic.contains(person.display_name)
    assert not network.traffic.contains("UNSHARED-TEXT")
    assert network.traffic.contains("Our neighbourhoods in 2027")
    assert network.traffic.contains("SHARED-TEXT 03")
