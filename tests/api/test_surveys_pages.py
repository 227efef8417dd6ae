"""Survey pages: the city's builder (errors beside the fields, nothing typed lost), a resident
answering and changing their answer on their home node, refusals (another neighbourhood, a
closed survey), and the results page and exports: counts, hidden cells, never a person."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass, replace

import aiohttp

from node.api.app_keys import DATABASE, REPORTING, SURVEYS
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role, User
from node.models.surveys import AnswerMode, QuestionKind, SurveyQuestion
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft
from tests.api.browser import (
    Browser,
    Browsers,
    field_errors,
    input_value,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import ENGLISH, PASSWORD, Node, register_csv

DAY = 24 * 3600


@dataclass
class City:
    node: Node
    staff: User
    residents: dict[str, list[User]]  # by neighbourhood slug, one household each
    neighbourhood_ids: dict[str, int]

    @property
    def surveys(self):
        return self.node.client.app[SURVEYS]


async def city_with_residents(
    aiohttp_client, tmp_path, households: dict[str, int], k: int = 5
) -> City:
    """A city node with neighbourhoods, each household with one resident account."""
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(
        data,
        env={
            "QUARTIER_CITY_ENABLED": "true",
            "QUARTIER_PARTICIPATION_MIN_CELL_SIZE": str(k),
        },
    )
    node = Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))
    ids = {}
    for name in households:
        ids[name.lower()] = (await node.register.create_neighbourhood(name)).id
    await node.register.import_register(
        register_csv(
            [
                (f"Rue de {name}", str(number), "", "7000", "Mons", name.lower())
                for name, count in households.items()
                for number in range(1, count + 1)
            ]
        )
    )
    found, _ = await node.register.household_page(None, "", 1, per_page=1000)
    residents: dict[str, list[User]] = {slug: [] for slug in ids}
    for item in sorted(found, key=lambda i: (i.household.street, int(i.household.number))):
        slug = item.household.street.removeprefix("Rue de ").lower()
        number = item.household.number
        user = await node.accounts.create_user(
            f"{slug}{number}@example.org",
            f"Resident {slug.title()} {number}",
            Role.RESIDENT,
            slug,
            PASSWORD,
        )
        await node.client.app[DATABASE].write(
            "test_household",
            lambda conn, u=user, h=item.household.id: conn.execute(
                "UPDATE users SET household_id = ? WHERE id = ?", (h, u.id)
            ),
        )
        residents[slug].append(replace(user, household_id=item.household.id))
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    return City(node, staff, residents, ids)


async def signed_in(city: City, browsers: Browsers, email: str) -> Browser:
    browser = browsers.open()
    await browser.login(email)
    return browser


async def post_pairs(browser: Browser, path: str, pairs: list[tuple[str, str]]):
    """A form with repeated names (checkboxes), as a browser posts it."""
    form = aiohttp.FormData([*pairs, ("csrf_token", await browser.csrf_token())])
    return await browser.request("POST", path, data=form)


def html_of(text: str) -> str:
    return re.sub(r"\s+", " ", text)


MOBILITY = (
    SurveyQuestion("How do you get to the centre?", QuestionKind.SINGLE, ("Bike", "Bus", "Car")),
    SurveyQuestion(
        "What should we improve?", QuestionKind.MULTIPLE, ("Pavements", "Lighting", "Benches")
    ),
    SurveyQuestion("How safe do you feel cycling?", QuestionKind.SCALE, scale_max=5, required=True),
    SurveyQuestion("Ideas for the square?", QuestionKind.TEXT, shared=True),
    SurveyQuestion("Anything else you want to tell us?", QuestionKind.TEXT, shared=False),
)


async def publish(city: City, targets: Targets, mode=AnswerMode.HOUSEHOLD, min_cell_size=None):
    return await city.surveys.create(
        city.staff,
        SurveyDraft(
            title="Getting around Mons",
            intro="Tell us how you **move**.",
            questions=MOBILITY,
            answer_mode=mode,
            opens_at=None,
            closes_at=int(time.time()) + 7 * DAY,
            targets=targets,
            min_cell_size=min_cell_size,
        ),
    )


# --- the builder ----------------------------------------------------------------------------


async def test_the_builder_puts_each_error_beside_its_field_and_keeps_everything_typed(
    aiohttp_client, tmp_path
):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 1, "Nimy": 1})
    browsers = Browsers(city.node)
    try:
        staff = await signed_in(city, browsers, "staff@mons.example")
        page = await staff.get("/city/surveys/new")
        assert page.status == 200
        builder = await page.text()
        assert 'type="datetime-local"' in builder and 'name="q5_text"' in builder

        # Block 1 is left blank; block 2 has one option only; no closing date, no target
        typed = [
            ("title", "Getting around Mons"),
            ("intro", "Tell us how you **move**."),
            ("answer_mode", "resident"),
            ("q0_text", "How do you get to the centre?"),
            ("q0_kind", "single"),
            ("q0_options", "Bike\nBus\nCar"),
            ("q0_scale", "5"),
            ("q1_text", ""),
            ("q1_kind", "single"),
            ("q1_options", ""),
            ("q2_text", "Which day suits you?"),
            ("q2_kind", "single"),
            ("q2_options", "Saturday"),
            ("q3_text", "Ideas for the square?"),
            ("q3_kind", "text"),
            ("q3_shared", "on"),
            ("closes_at", ""),
        ]
        response = await post_pairs(staff, "/city/surveys/new", typed)
        assert response.status == 400
        page = await response.text()
        errors = field_errors(page)
        assert errors == {
            "q2_options": "Give 2 to 20 options, one per line.",
            "closes_at": "Choose when the survey closes.",
            "targets": "Choose at least one neighbourhood, or all of them.",
        }
        # The summary at the top links to each field
        start = page.index("error-summary")
        summary = page[start : page.index("</ul>", start)]
        for name in errors:
            assert f'href="#field-{name}"' in summary
            assert f'id="field-{name}"' in page
        # Everything typed is still there
        assert input_value(page, "title") == "Getting around Mons"
        assert input_value(page, "q2_text") == "Which day suits you?"
        assert ">Bike\nBus\nCar</textarea>" in page
        assert ">Saturday</textarea>" in page
        assert re.search(r'name="q3_shared"[^>]*checked', page)
        assert re.search(r'name="answer_mode" value="resident" checked', page)
        assert re.search(r'<option value="text" selected>', page)
        assert (await city.surveys.list()) == []

        # Corrected, it is published and listed as open
        fixed = [(k, v) for k, v in typed if k not in ("q2_options", "closes_at")] + [
            ("q2_options", "Saturday\nSunday"),
            ("closes_at", "2099-06-30T18:00"),
            ("target", f"local:{city.neighbourhood_ids['centre']}"),
        ]
        response = await post_pairs(staff, "/city/surveys/new", fixed)
        assert response.status == 303, await response.text()
        survey = (await city.surveys.list())[0]
        assert response.headers["Location"] == f"/city/surveys/{survey.id}?notice=created"
        assert [q.text for q in survey.questions] == [
            "How do you get to the centre?",
            "Which day suits you?",
            "Ideas for the square?",
        ]
        assert survey.questions[2].shared and survey.answer_mode is AnswerMode.RESIDENT
        # 18:00 in Brussels on 30 June (summer time) is 16:00 UTC
        assert time.gmtime(survey.closes_at)[:5] == (2099, 6, 30, 16, 0)
        listing = html_of(await (await staff.get("/city/surveys")).text())
        assert "Getting around Mons" in listing and "<td>open</td>" in listing
        detail = await (await staff.get(f"/city/surveys/{survey.id}")).text()
        assert "Centre" in detail and "<strong>move</strong>" in detail
    finally:
        await browsers.close()


# --- residents -------------------------------------------------------------------------------


async def test_a_resident_answers_changes_and_a_household_member_sees_it(aiohttp_client, tmp_path):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 2, "Nimy": 1})
    survey = await publish(city, Targets(local=(city.neighbourhood_ids["centre"],)))
    anne = city.residents["centre"][0]
    message_id = (await city.surveys.list_received(anne))[0].message_id
    # Bea lives in Anne's household
    bea = await city.node.accounts.create_user(
        "bea@example.org", "Bea", Role.RESIDENT, "centre", PASSWORD
    )
    await city.node.client.app[DATABASE].write(
        "test_household",
        lambda conn: conn.execute(
            "UPDATE users SET household_id = ? WHERE id = ?", (anne.household_id, bea.id)
        ),
    )
    browsers = Browsers(city.node)
    try:
        tab = await signed_in(city, browsers, "centre1@example.org")
        listing = await (await tab.get("/surveys")).text()
        assert f'href="/surveys/{message_id}"' in listing and "Getting around Mons" in listing
        page = await (await tab.get(f"/surveys/{message_id}")).text()
        assert "one answer per household: anyone in your household can change it".lower() in (
            page.lower()
        )
        assert "Your answer to this question will be shown to the city, without your name" in page
        assert "<legend" in page and "How safe do you feel cycling?" in page
        assert page.count('name="q2" value=') == 5  # the scale 1..5 as radios

        # The required scale is missing: the error is beside it, the choices made are kept
        response = await post_pairs(
            tab,
            f"/surveys/{message_id}",
            [("q0", "0"), ("q1", "0"), ("q1", "2"), ("q3", "More trees")],
        )
        assert response.status == 400
        page = await response.text()
        assert field_errors(page) == {"q2": "This question needs an answer."}
        assert 'href="#field-q2"' in page
        assert re.search(r'name="q0" value="0" checked', page)
        assert re.search(r'name="q1" value="2" checked', page)
        assert ">More trees</textarea>" in page

        response = await post_pairs(
            tab,
            f"/surveys/{message_id}",
            [("q0", "0"), ("q1", "0"), ("q1", "2"), ("q2", "3"), ("q3", "More trees")],
        )
        assert response.status == 303
        assert response.headers["Location"] == f"/surveys/{message_id}?notice=saved"
        page = await (await tab.get(response.headers["Location"])).text()
        assert "Your answer was saved; you can change it until" in page
        assert re.search(r'name="q2" value="3" checked', page)  # 4 on the scale

        # Anne changes her mind
        response = await post_pairs(
            tab, f"/surveys/{message_id}", [("q0", "1"), ("q2", "4"), ("q3", "")]
        )
        assert response.status == 303
        mine = await city.surveys.my_answer(anne, message_id)
        assert mine.answers == {0: [1], 2: [4]}

        # Bea, in the same household, sees the household's answer and who gave it
        bea_tab = await signed_in(city, browsers, "bea@example.org")
        page = await (await bea_tab.get(f"/surveys/{message_id}")).text()
        assert "Someone else in your household answered" in page
        assert re.search(r'name="q0" value="1" checked', page)
        assert "Anne" not in page and "Resident Centre 1" not in page
    finally:
        await browsers.close()
    assert survey.state(time.time()) == "open"


async def test_another_neighbourhood_gets_404_and_a_closed_survey_refuses(aiohttp_client, tmp_path):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 1, "Nimy": 1})
    survey = await publish(city, Targets(local=(city.neighbourhood_ids["centre"],)))
    anne = city.residents["centre"][0]
    message_id = (await city.surveys.list_received(anne))[0].message_id
    browsers = Browsers(city.node)
    try:
        # A resident of Nimy cannot open or answer Centre's survey
        nimy = await signed_in(city, browsers, "nimy1@example.org")
        assert "Getting around Mons" not in await (await nimy.get("/surveys")).text()
        assert (await nimy.get(f"/surveys/{message_id}")).status == 404
        response = await post_pairs(nimy, f"/surveys/{message_id}", [("q2", "1")])
        assert response.status == 404

        anne_tab = await signed_in(city, browsers, "centre1@example.org")
        response = await post_pairs(anne_tab, f"/surveys/{message_id}", [("q2", "1")])
        assert response.status == 303

        # City staff close it; the resident's page explains, without a form
        staff = await signed_in(city, browsers, "staff@mons.example")
        staff_page = await (await staff.get(f"/city/surveys/{survey.id}")).text()
        assert "Close now" in staff_page and "cannot be undone" in staff_page
        response = await staff.post_form(f"/city/surveys/{survey.id}/close")
        assert response.status == 303
        page = await (await anne_tab.get(f"/surveys/{message_id}")).text()
        assert "This survey is closed" in page and 'name="q2"' not in page

        # An answer posted anyway is refused, and the one given stays
        response = await post_pairs(anne_tab, f"/surveys/{message_id}", [("q2", "4")])
        assert response.status == 400
        assert "This survey is closed" in await response.text()
        assert (await city.surveys.my_answer(anne, message_id)).answers == {2: [1]}

        # Withdrawn: explained too, and gone from the public page
        response = await staff.post_form(f"/city/surveys/{survey.id}/withdraw")
        assert response.status == 303
        page = await (await anne_tab.get(f"/surveys/{message_id}")).text()
        assert "The city withdrew this survey" in page
        anonymous = browsers.open()
        assert (await anonymous.get(f"/public/surveys/{survey.uuid}")).status == 404
    finally:
        await browsers.close()


async def test_the_public_page_shows_the_questions_and_says_only_residents_answer(
    aiohttp_client, tmp_path
):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 1})
    survey = await publish(city, Targets(everywhere=True))
    browsers = Browsers(city.node)
    try:
        anonymous = browsers.open()
        response = await anonymous.get(f"/public/surveys/{survey.uuid}")
        assert response.status == 200
        page = html_of(await response.text())
        assert "Getting around Mons" in page and "<strong>move</strong>" in page
        assert "How safe do you feel cycling?" in page and "Benches" in page
        assert "Only residents answer this survey" in page
        assert "are not counted" in page
        assert '<form method="post" action="/surveys' not in page
        assert 'name="q0"' not in page
    finally:
        await browsers.close()


# --- results ---------------------------------------------------------------------------------


CENTRE_ANSWERS = [
    # (single, multiple, scale index, shared text, unshared text)
    (0, [0, 1], 3, "More benches please", "SECRET-UNSHARED-1"),
    (0, [0], 3, "Plant trees", None),
    (0, [0, 1], 4, None, "SECRET-UNSHARED-2"),
    (1, [1], 3, "Plant trees", None),
    (1, [0], 4, None, None),
    (2, [2], 4, None, None),
]


async def answer_all(city: City, slug: str, rows) -> None:
    for resident, (single, multiple, scale, shared, unshared) in zip(
        city.residents[slug], rows, strict=False
    ):
        message_id = (await city.surveys.list_received(resident))[0].message_id
        answers = {0: [single], 1: multiple, 2: [scale]}
        if shared:
            answers[3] = shared
        if unshared:
            answers[4] = unshared
        await city.surveys.answer(resident, message_id, answers)


async def test_results_show_counts_hide_small_cells_and_never_a_person(aiohttp_client, tmp_path):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 6, "Nimy": 2}, k=2)
    survey = await publish(city, Targets(everywhere=True))
    await answer_all(city, "centre", CENTRE_ANSWERS)
    await answer_all(city, "nimy", [(0, [0], 1, "Plant trees", "SECRET-UNSHARED-3")])
    reporting = city.node.client.app[REPORTING]
    browsers = Browsers(city.node)
    try:
        staff = await signed_in(city, browsers, "staff@mons.example")
        await reporting.drain()
        # While open: participation only
        page = html_of(await (await staff.get(f"/city/surveys/{survey.id}")).text())
        assert "Results arrive once the survey closes" in page

        await staff.post_form(f"/city/surveys/{survey.id}/close")
        await reporting.drain()
        response = await staff.get(f"/city/surveys/{survey.id}")
        page = html_of(await response.text())
        # The list shows participation (interim reports are throttled; final ones are not)
        listing = html_of(await (await staff.get("/city/surveys")).text())
        assert "<td>closed</td>" in listing and "7 / 8" in listing

        # Participation per neighbourhood: 6 of 6 households in Centre, 1 of 2 in Nimy
        assert re.search(
            r"Centre <span class=\"hint\">\([^)]*\)</span></td> "
            r"<td class=\"numeric\">6</td> <td class=\"numeric\">6</td> "
            r"<td class=\"numeric\">100",
            page,
        )
        assert re.search(
            r"Nimy <span class=\"hint\">\([^)]*\)</span></td> "
            r"<td class=\"numeric\">1</td> <td class=\"numeric\">2</td> "
            r"<td class=\"numeric\">50",
            page,
        )
        # Question 1 (single): in Centre, Bike 3, Bus 2, Car 1. Car is hidden (k = 2), and
        # with it Bus, the smallest count of k or more: else Car = 6 - 3 - 2. So the total
        # says how many answers are in hidden cells.
        q1 = page[page.index('id="question-1"') : page.index('id="question-2"')]
        assert "<svg" in q1 and "<title>How do you get to the centre?</title>" in q1
        assert '<tr><td>Bike</td><td class="numeric">3' in q1
        assert "4 answers are in hidden cells" in q1  # Bus 2 + Car 1 in Centre, Nimy's 1
        assert (
            '<th scope="row">Centre</th><td class="numeric">3</td><td class="numeric">'
            '<span class="hint">hidden</span></td>' in q1
        )
        # Question 3 (scale): values 4 and 5 chosen by 3 each in Centre
        q3 = page[page.index('id="question-3"') : page.index('id="question-4"')]
        assert '<tr><td>4</td><td class="numeric">3' in q3
        assert '<tr><td>5</td><td class="numeric">3' in q3
        # Shared text: only where at least k wrote one (Centre: 3 texts); Nimy's 1 stays home
        q4 = page[page.index('id="question-4"') : page.index('id="question-5"')]
        assert "More benches please" in q4 and q4.count("<li>Plant trees</li>") == 2
        q5 = page[page.index('id="question-5"') :]
        assert "it was not shared with the city" in q5

        csv_response = await staff.get(f"/city/surveys/{survey.id}/results.csv")
        assert csv_response.status == 200
        assert csv_response.content_type == "text/csv"
        rows = list(csv.reader(io.StringIO(await csv_response.text())))
        assert rows[0][:6] == ["area", "host", "question number", "question", "cell", "count"]
        bike = [r for r in rows if r[0] == "All neighbourhoods" and r[2] == "1" and r[4] == "Bike"]
        assert bike == [
            [
                "All neighbourhoods",
                "",
                "1",
                "How do you get to the centre?",
                "Bike",
                "3",
                "7",
                "7",
                "7",
                "8",
            ]
        ]
        car = [r for r in rows if r[0] == "Centre" and r[2] == "1" and r[4] == "Car"]
        assert car[0][5] == "hidden"

        json_response = await staff.get(f"/city/surveys/{survey.id}/results.json")
        data = json.loads(await json_response.text())
        centre = next(a for a in data["areas"] if a["name"] == "Centre")
        assert [c["count"] for c in centre["questions"][0]["cells"]] == [3, None, None]
        assert centre["questions"][0]["hidden"] == 3
        assert data["overall"]["responding_households"] == 7
        assert sorted(data["overall"]["questions"][3]["texts"]) == [
            "More benches please",
            "Plant trees",
            "Plant trees",
        ]

        # Never a resident's name or an unshared answer, anywhere staff look
        everything = page + await csv_response.text() + json.dumps(data)
        for forbidden in ("SECRET-UNSHARED", "Resident Centre", "Resident Nimy", "centre1@"):
            assert forbidden not in everything
    finally:
        await browsers.close()
