"""Surveys through the JSON API, as a city's script and a resident's app use it: publishing
(and a bad body refused, naming the field, storing nothing), answering and changing the
answer, another neighbourhood kept out, results with small cells hidden, closing, and each
role kept to its own side. Every answer is checked against the node's OpenAPI document."""

from __future__ import annotations

import time

import pytest

from node.api.app_keys import REPORTING
from node.models import User
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.api.test_json_api import PROBLEM_JSON, Api
from tests.api.test_surveys_pages import City, city_with_residents

DAY = 24 * 3600


def survey_body(city: City, **changes) -> dict:
    """A four-question survey for Centre and Nimy, as a script sends it."""
    body = {
        "title": "Getting around Mons",
        "intro": "Tell us how you **move**.",
        "closes_at": int(time.time()) + 7 * DAY,
        "neighbourhoods": [city.neighbourhood_ids["centre"], city.neighbourhood_ids["nimy"]],
        "questions": [
            {
                "text": "How do you get to the centre?",
                "kind": "single",
                "options": ["Bike", "Bus", "Car"],
            },
            {
                "text": "What should we improve?",
                "kind": "multiple",
                "options": ["Pavements", "Lighting", "Benches"],
            },
            {"text": "How safe do you feel cycling?", "kind": "scale", "scale_max": 5},
            {"text": "Ideas for the square?", "kind": "text", "shared": True},
        ],
    }
    return {**body, **changes}


async def served_document(city: City) -> dict:
    response = await city.node.client.get("/api/v1/openapi.json")
    assert response.status == 200
    return await response.json()


async def api_of(city: City, doc: dict, user: User) -> Api:
    return Api(city.node, doc, await city.node.api_token(user))


async def problem_of(response) -> dict:
    assert response.content_type == PROBLEM_JSON
    return await response.json()


@pytest.fixture
async def city(aiohttp_client, tmp_path) -> City:
    # Centre: six households, one resident each; Nimy: two
    return await city_with_residents(aiohttp_client, tmp_path, {"Centre": 6, "Nimy": 2})


async def publish(city: City, staff: Api) -> dict:
    created = await staff.call("POST", "/api/v1/city/surveys", 201, json=survey_body(city))
    return await created.json()


async def received_id(resident: Api) -> int:
    """The survey's id on the resident's side (their node's copy of what the city sent)."""
    listed = await (await resident.call("GET", "/api/v1/surveys", 200)).json()
    assert [s["title"] for s in listed] == ["Getting around Mons"]
    return listed[0]["id"]


async def resident_view(resident: Api, survey_id: int) -> dict:
    """The survey as the resident's app shows it, with their current answer."""
    response = await resident.call("GET", "/api/v1/surveys/{id}", 200, ids={"id": survey_id})
    return await response.json()


# --- publishing ------------------------------------------------------------------------------


async def test_staff_publish_a_survey_and_a_bad_body_is_refused_naming_the_field(city: City):
    doc = await served_document(city)
    staff = await api_of(city, doc, city.staff)

    # A body the schema refuses: no closing date
    body = survey_body(city)
    del body["closes_at"]
    response = await staff.call("POST", "/api/v1/city/surveys", 422, json=body)
    problem = await problem_of(response)
    assert problem["errors"][0]["field"] == "closes_at"
    assert problem["detail"].startswith("closes_at: ")

    # A body the schema lets through but that makes no sense: a choice with one option,
    # and a privacy threshold under the node's own
    bad_question = {"text": "Which day suits you?", "kind": "single", "options": ["Saturday"]}
    body = survey_body(city, min_cell_size=2)
    body["questions"] = [body["questions"][0], bad_question]
    response = await staff.call("POST", "/api/v1/city/surveys", 422, json=body)
    problem = await problem_of(response)
    assert {e["field"]: e["message"] for e in problem["errors"]} == {
        "questions.1.options": "Give 2 to 20 options, one per line.",
        "min_cell_size": "Small cells are hidden below 5 respondents; choose 5 or more.",
    }

    # No neighbourhood at all
    response = await staff.call(
        "POST", "/api/v1/city/surveys", 422, json=survey_body(city, neighbourhoods=[])
    )
    problem = await problem_of(response)
    assert problem["errors"] == [
        {
            "field": "neighbourhoods",
            "message": "Choose at least one neighbourhood, or all of them.",
        }
    ]

    # Nothing was stored, and residents received nothing
    assert await (await staff.call("GET", "/api/v1/city/surveys", 200)).json() == []
    anne = await api_of(city, doc, city.residents["centre"][0])
    assert await (await anne.call("GET", "/api/v1/surveys", 200)).json() == []

    # A good body is published: 201 and the survey as the schema describes it
    survey = await publish(city, staff)
    assert survey["state"] == "open"
    assert survey["answer_mode"] == "household"
    assert survey["min_cell_size"] == 5
    assert [q["kind"] for q in survey["questions"]] == ["single", "multiple", "scale", "text"]
    assert [q["shared"] for q in survey["questions"]] == [False, False, False, True]
    assert survey["questions"][2]["options"] == []
    assert survey["public_url"].endswith(f"/public/surveys/{survey['object_uri'][-36:]}")
    listed = await (await staff.call("GET", "/api/v1/city/surveys", 200)).json()
    assert [s["id"] for s in listed] == [survey["id"]]
    one = await staff.call("GET", "/api/v1/city/surveys/{id}", 200, ids=survey)
    assert (await one.json())["title"] == "Getting around Mons"
    assert staff.violations == [] and anne.violations == []


# --- residents -------------------------------------------------------------------------------


async def test_a_resident_answers_and_changes_and_another_neighbourhood_gets_404(city: City):
    doc = await served_document(city)
    staff = await api_of(city, doc, city.staff)
    await publish(city, staff)
    anne = await api_of(city, doc, city.residents["centre"][0])
    survey_id = await received_id(anne)

    # She sees the questions and that she has not answered yet
    received = await resident_view(anne, survey_id)
    assert received["state"] == "open" and received["city_name"]
    assert received["my_answer"] is None
    assert [q["text"] for q in received["questions"]][3] == "Ideas for the square?"

    # She answers...
    path = "/api/v1/surveys/{id}/answer"
    first = {"0": [2], "1": [0, 2], "2": [1], "3": "Car-free Sundays"}
    answered = await anne.call("PUT", path, 200, ids={"id": survey_id}, json={"answers": first})
    assert (await answered.json())["my_answer"]["answers"] == first

    # ... and changes her mind: the new answer replaces the old one
    second = {"0": [0], "1": [0, 1], "2": [3]}
    changed = await anne.call("PUT", path, 200, ids={"id": survey_id}, json={"answers": second})
    assert (await changed.json())["my_answer"]["answers"] == second
    again = await resident_view(anne, survey_id)
    assert again["my_answer"]["answers"] == second
    assert again["my_answer"]["by_someone_else"] is False

    # An option that does not exist is refused, naming the question; her answer stays
    response = await anne.call(
        "PUT", path, 422, ids={"id": survey_id}, json={"answers": {"0": [7]}}
    )
    assert (await problem_of(response))["errors"] == [
        {"field": "answers.0", "message": "Choose from the options given."}
    ]
    # Two answers to a one-choice question too
    response = await anne.call(
        "PUT", path, 422, ids={"id": survey_id}, json={"answers": {"0": [0, 1]}}
    )
    assert (await problem_of(response))["errors"] == [
        {"field": "answers.0", "message": "Choose one answer."}
    ]
    # Each wrong answer is named with what is wrong with it: text for a scale, a list for a
    # text question, a question the survey does not have
    response = await anne.call(
        "PUT",
        path,
        422,
        ids={"id": survey_id},
        json={"answers": {"2": "very safe", "3": [1], "9": [0]}},
    )
    assert sorted((e["field"], e["message"]) for e in (await problem_of(response))["errors"]) == [
        ("answers.2", "Choose from the options given."),
        ("answers.3", "Answer this question with text."),
        ("answers.9", "This survey has no such question."),
    ]
    mine = await resident_view(anne, survey_id)
    assert mine["my_answer"]["answers"] == second

    # A survey sent to Centre only: a resident of Nimy neither sees nor answers it
    centre_only = survey_body(
        city, title="The Centre's market", neighbourhoods=[city.neighbourhood_ids["centre"]]
    )
    await staff.call("POST", "/api/v1/city/surveys", 201, json=centre_only)
    listed = await (await anne.call("GET", "/api/v1/surveys", 200)).json()
    market_id = next(s["id"] for s in listed if s["title"] == "The Centre's market")
    nimy = await api_of(city, doc, city.residents["nimy"][0])
    titles = [s["title"] for s in await (await nimy.call("GET", "/api/v1/surveys", 200)).json()]
    assert titles == ["Getting around Mons"]
    await nimy.call("GET", "/api/v1/surveys/{id}", 404, ids={"id": market_id})
    response = await nimy.call(
        "PUT", path, 404, ids={"id": market_id}, json={"answers": {"0": [0]}}
    )
    assert (await problem_of(response))["detail"] == "There is no such survey."
    assert anne.violations == [] and nimy.violations == [] and staff.violations == []


# --- results and closing -----------------------------------------------------------------------


# Centre's six households: (single, multiple, scale index, shared text)
CENTRE_ANSWERS = [
    ([0], [0, 1], [3], "More trees"),
    ([0], [0, 1], [3], "A fountain"),
    ([0], [0, 1], [3], "More trees"),
    ([0], [0, 1], [3], "Benches in the shade"),
    ([0], [0, 1], [3], "Plant flowers"),
    ([0], [0, 2], [1], None),
]


async def test_results_count_answers_hide_small_cells_and_a_closed_survey_refuses(city: City):
    doc = await served_document(city)
    staff = await api_of(city, doc, city.staff)
    survey = await publish(city, staff)
    path = "/api/v1/surveys/{id}/answer"
    residents = [await api_of(city, doc, user) for user in city.residents["centre"]]
    survey_id = await received_id(residents[0])

    # The first household first chose Car, then changed to Bike
    await residents[0].call(
        "PUT", path, 200, ids={"id": survey_id}, json={"answers": {"0": [2], "2": [0]}}
    )
    for resident, (single, multiple, scale, text) in zip(residents, CENTRE_ANSWERS, strict=True):
        answers = {"0": single, "1": multiple, "2": scale}
        if text:
            answers["3"] = text
        await resident.call("PUT", path, 200, ids={"id": survey_id}, json={"answers": answers})
    # One household of two in Nimy answers
    nimy = await api_of(city, doc, city.residents["nimy"][0])
    await nimy.call(
        "PUT",
        path,
        200,
        ids={"id": await received_id(nimy)},
        json={"answers": {"0": [1], "1": [1], "2": [2], "3": "A bus shelter"}},
    )
    reporting = city.node.client.app[REPORTING]
    await reporting.drain()

    # While open: at most participation (reported every few minutes), no count per answer
    results_path = "/api/v1/city/surveys/{id}/results"
    open_results = await (await staff.call("GET", results_path, 200, ids=survey)).json()
    assert open_results["overall"]["questions"] == []
    assert all(area["questions"] == [] for area in open_results["areas"])
    assert open_results["complete"] is False

    # The city closes it; each neighbourhood sends its final figures
    closed = await staff.call("POST", "/api/v1/city/surveys/{id}/close", 200, ids=survey)
    assert (await closed.json())["state"] == "closed"
    await reporting.drain()
    results = await (await staff.call("GET", results_path, 200, ids=survey)).json()
    assert results["complete"] is True and results["missing"] == []
    areas = {a["name"]: a for a in results["areas"]}
    assert (areas["Centre"]["responding_households"], areas["Centre"]["registered_households"]) == (
        6,
        6,
    )
    assert (areas["Nimy"]["responding_households"], areas["Nimy"]["registered_households"]) == (
        1,
        2,
    )

    def counts(area: dict, question: int) -> list:
        return [c["count"] for c in area["questions"][question]["cells"]]

    centre = areas["Centre"]
    # Single choice: six Bikes; the changed answer counts as Bike, not Car
    assert [c["label"] for c in centre["questions"][0]["cells"]] == ["Bike", "Bus", "Car"]
    assert counts(centre, 0) == [6, 0, 0]
    # Several choices: Benches, chosen once, is hidden; the others are shown
    assert counts(centre, 1) == [6, 5, None]
    # Scale: one 2 is hidden, and the 4s with it, or the 2 could be worked out; and the
    # zeros, or the two hidden cells, holding 6, could only be 1 and 5
    assert counts(centre, 2) == [None, None, None, None, None]
    assert centre["questions"][2]["answered"] == 6 and centre["questions"][2]["hidden"] == 6
    # Shared free text: five wrote one, so the city reads them, in alphabetical order
    assert centre["questions"][3]["answered"] == 5
    assert centre["questions"][3]["texts"] == [
        "A fountain",
        "Benches in the shade",
        "More trees",
        "More trees",
        "Plant flowers",
    ]
    # Nimy: one household answered, fewer than five, so nothing is shown but the total
    nimy_area = areas["Nimy"]
    assert counts(nimy_area, 0) == [None, None, None]
    assert nimy_area["questions"][0]["answered"] == 1
    assert nimy_area["questions"][3]["texts"] == []
    # Overall: the sum of what is shown, and how many answers are hidden
    overall = results["overall"]
    assert counts(overall, 0) == [6, 0, 0]
    assert overall["questions"][0]["answered"] == 7 and overall["questions"][0]["hidden"] == 1
    assert "A bus shelter" not in str(results)

    # Answering after the close is refused, saying why; the answer given stays
    response = await residents[0].call(
        "PUT", path, 422, ids={"id": survey_id}, json={"answers": {"0": [1]}}
    )
    problem = await problem_of(response)
    assert "This survey is closed" in problem["detail"]
    mine = await resident_view(residents[0], survey_id)
    assert mine["state"] == "closed"
    assert mine["my_answer"]["answers"]["0"] == [0]
    for api in (staff, nimy, *residents):
        assert api.violations == []


# --- each role on its own side -----------------------------------------------------------------


async def test_residents_cannot_reach_the_city_side_and_staff_cannot_answer(city: City):
    doc = await served_document(city)
    staff = await api_of(city, doc, city.staff)
    survey = await publish(city, staff)
    anne = await api_of(city, doc, city.residents["centre"][0])
    survey_id = await received_id(anne)

    # A resident's token opens none of the city's operations
    for method, template, kwargs in [
        ("GET", "/api/v1/city/surveys", {}),
        ("POST", "/api/v1/city/surveys", {"json": survey_body(city, title="Sneaky")}),
        ("GET", "/api/v1/city/surveys/{id}", {}),
        ("GET", "/api/v1/city/surveys/{id}/results", {}),
        ("POST", "/api/v1/city/surveys/{id}/close", {}),
        ("DELETE", "/api/v1/city/surveys/{id}", {}),
    ]:
        response = await anne.call(method, template, 403, ids=survey, **kwargs)
        assert (await problem_of(response))["status"] == 403

    # City staff do not answer surveys, nor see the residents' side
    response = await staff.call(
        "PUT",
        "/api/v1/surveys/{id}/answer",
        403,
        ids={"id": survey_id},
        json={"answers": {"0": [0]}},
    )
    assert (await problem_of(response))["status"] == 403
    await staff.call("GET", "/api/v1/surveys", 403)

    # Nothing changed: one survey, still open, nobody answered
    listed = await (await staff.call("GET", "/api/v1/city/surveys", 200)).json()
    assert [(s["title"], s["state"]) for s in listed] == [("Getting around Mons", "open")]
    received = await resident_view(anne, survey_id)
    assert received["my_answer"] is None
    assert anne.violations == [] and staff.violations == []
