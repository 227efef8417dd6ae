"""JSON API of surveys: the city's side (create, follow, close, withdraw, read the aggregate
results) and the resident's side (the surveys their neighbourhood received, their answer)."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import CONFIG, SURVEYS, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.errors import N_, InvalidInput
from node.models.surveys import (
    AnswerMode,
    Answers,
    AreaResult,
    MyAnswer,
    QuestionKind,
    QuestionResult,
    ReceivedSurvey,
    Survey,
    SurveyQuestion,
    SurveyResults,
)
from node.services.city_broadcast import Targets
from node.services.surveys import SurveyDraft


def _question_json(q: SurveyQuestion) -> dict[str, Any]:
    return {
        "text": q.text,
        "kind": q.kind.value,
        "options": list(q.options),
        "scale_max": q.scale_max,
        "shared": q.shared,
        "required": q.required,
    }


def survey_json(s: Survey, base_url: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "object_uri": s.object_uri,
        "public_url": f"{base_url}/public/surveys/{s.uuid}",
        "title": s.title,
        "intro": s.intro,
        "state": s.state(time.time()),
        "answer_mode": s.answer_mode.value,
        "min_cell_size": s.min_cell_size,
        "opens_at": s.opens_at,
        "closes_at": s.closes_at,
        "closed_at": s.closed_at,
        "created_at": s.created_at,
        "withdrawn_at": s.withdrawn_at,
        "targets": list(s.targets),
        "questions": [_question_json(q) for q in s.questions],
    }


def _question_result_json(number: int, r: QuestionResult) -> dict[str, Any]:
    return {
        "number": number,
        "text": r.question.text,
        "kind": r.question.kind.value,
        "answered": r.answered,
        "hidden": r.hidden,  # answers in hidden cells, when the cells add up
        "cells": [
            {"label": label, "count": count}
            for label, count in zip(r.question.cells, r.counts, strict=False)
        ],
        "texts": list(r.texts),
    }


def _area_json(a: AreaResult, name: str | None = None) -> dict[str, Any]:
    return {
        "name": a.name if name is None else name,
        "uri": a.uri,
        "host": a.host,
        "final": a.final,
        "respondents": a.respondents,
        "responding_households": a.responding_households,
        "registered_households": a.registered_households,
        "participation": a.participation,
        "reported_at": a.reported_at,
        "questions": [_question_result_json(n, r) for n, r in enumerate(a.questions, start=1)],
    }


def results_json(results: SurveyResults, base_url: str) -> dict[str, Any]:
    """The aggregate results: the same figures as the results page and its CSV."""
    return {
        "survey": survey_json(results.survey, base_url),
        "complete": results.complete,
        "missing": list(results.missing),
        "overall": _area_json(results.overall, "All neighbourhoods"),
        "areas": [_area_json(a) for a in results.areas],
    }


def _answers_json(answers: Answers) -> dict[str, Any]:
    return {str(index): answer for index, answer in sorted(answers.items())}


def _my_answer_json(mine: MyAnswer | None) -> dict[str, Any] | None:
    if mine is None:
        return None
    return {
        "answers": _answers_json(mine.answers),
        "updated_at": mine.updated_at,
        "by_someone_else": mine.by_someone_else,
    }


def received_json(s: ReceivedSurvey, mine: MyAnswer | None = None) -> dict[str, Any]:
    return {
        "id": s.message_id,
        "object_uri": s.object_uri,
        "city_name": s.city_name,
        "title": s.title,
        "intro_html": s.intro_html,
        "state": s.state(time.time()),
        "answer_mode": s.answer_mode.value,
        "min_cell_size": s.min_cell_size,
        "opens_at": s.opens_at,
        "closes_at": s.closes_at,
        "questions": [_question_json(q) for q in s.questions],
        "my_answer": _my_answer_json(mine),
    }


# --- the city -----------------------------------------------------------------------------


@access(CITY)
async def city_surveys_list(request: web.Request) -> web.Response:
    base_url = request.app[CONFIG].base_url
    surveys = await request.app[SURVEYS].list()
    return web.json_response([survey_json(s, base_url) for s in surveys])


def _draft(body: dict[str, Any]) -> SurveyDraft:
    """The request body (already schema-checked) as a draft the service checks further."""
    return SurveyDraft(
        title=body["title"],
        intro=body.get("intro", ""),
        questions=tuple(
            SurveyQuestion(
                text=q["text"],
                kind=QuestionKind(q["kind"]),
                options=tuple(q.get("options", ())),
                scale_max=q.get("scale_max", 5),
                shared=q.get("shared", False),
                required=q.get("required", False),
            )
            for q in body["questions"]
        ),
        answer_mode=AnswerMode(body.get("answer_mode", AnswerMode.HOUSEHOLD.value)),
        opens_at=body.get("opens_at"),
        closes_at=body["closes_at"],
        targets=Targets(
            local=tuple(body.get("neighbourhoods", ())),
            remote=tuple(body.get("remote_neighbourhoods", ())),
            everywhere=body.get("all_neighbourhoods", False),
        ),
        min_cell_size=body.get("min_cell_size"),
    )


# The service names fields as the builder form does ("q1_options", "targets").
FORM_QUESTION_FIELD = re.compile(r"q(\d+)(?:_(\w+))?")


def _named_as_in_body(error: InvalidInput, questions: str, renames: dict[str, str]) -> InvalidInput:
    """The service's field names as paths in the JSON body a script sent, the way schema
    errors name them ("questions.1.options", "answers.0")."""
    fields = {}
    for name, message in error.fields.items():
        match = FORM_QUESTION_FIELD.fullmatch(name)
        if match:
            name = ".".join(part for part in (questions, match[1], match[2]) if part)
        fields[renames.get(name, name)] = message
    return InvalidInput(fields)


@access(CITY)
async def city_survey_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/survey-create")
    try:
        survey = await request.app[SURVEYS].create(request[USER_KEY], _draft(body))
    except InvalidInput as exc:
        raise _named_as_in_body(exc, "questions", {"targets": "neighbourhoods"}) from None
    return web.json_response(survey_json(survey, request.app[CONFIG].base_url), status=201)


@access(CITY)
async def city_survey_get(request: web.Request) -> web.Response:
    survey = await request.app[SURVEYS].get(path_id(request))
    return web.json_response(survey_json(survey, request.app[CONFIG].base_url))


@access(CITY)
async def city_survey_results(request: web.Request) -> web.Response:
    results = await request.app[SURVEYS].results(path_id(request))
    return web.json_response(results_json(results, request.app[CONFIG].base_url))


@access(CITY)
async def city_survey_close(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    survey_id = path_id(request)
    await service.close(request[USER_KEY], survey_id)
    survey = await service.get(survey_id)
    return web.json_response(survey_json(survey, request.app[CONFIG].base_url))


@access(CITY)
async def city_survey_withdraw(request: web.Request) -> web.Response:
    await request.app[SURVEYS].withdraw(request[USER_KEY], path_id(request))
    return web.Response(status=204)


# --- residents ----------------------------------------------------------------------------


@access(RESIDENTS)
async def surveys_received_list(request: web.Request) -> web.Response:
    received = await request.app[SURVEYS].list_received(request[USER_KEY])
    return web.json_response([received_json(s) for s in received])


@access(RESIDENTS)
async def survey_received_get(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    user = request[USER_KEY]
    survey = await service.received(user, path_id(request))
    mine = await service.my_answer(user, survey.message_id)
    return web.json_response(received_json(survey, mine))


def _answers(body: dict[str, Any]) -> Answers:
    answers: Answers = {}
    for key, value in body["answers"].items():
        if not key.isdigit():  # the schema's pattern says so too; belt and braces
            raise InvalidInput({"answers": N_("Name each question by its number, from 0.")})
        answers[int(key)] = value
    return answers


@access(RESIDENTS)
async def survey_answer_put(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    user = request[USER_KEY]
    body = await json_body(request, "api/survey-answer")
    survey = await service.received(user, path_id(request))
    try:
        await service.answer(user, survey.message_id, _answers(body))
    except InvalidInput as exc:
        if survey.state(time.time()) != "open":
            # Closed, withdrawn or not open yet: about the whole answer, not one question.
            raise InvalidInput({"answers": next(iter(exc.fields.values()))}) from None
        raise _named_as_in_body(exc, "answers", {}) from None
    mine = await service.my_answer(user, survey.message_id)
    return web.json_response(received_json(survey, mine))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/city/surveys",
        city_surveys_list,
        "The city's surveys",
        response_schema="api/survey",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/city/surveys",
        city_survey_create,
        "Publish a survey to local and followed remote neighbourhoods",
        request_schema="api/survey-create",
        response_schema="api/survey",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/city/surveys/{id}",
        city_survey_get,
        "One of the city's surveys",
        response_schema="api/survey",
    ),
    Operation(
        "GET",
        "/api/v1/city/surveys/{id}/results",
        city_survey_results,
        "Aggregate results per neighbourhood and overall (small cells hidden, no individual"
        " answer)",
        response_schema="api/survey-results",
    ),
    Operation(
        "POST",
        "/api/v1/city/surveys/{id}/close",
        city_survey_close,
        "Close a survey now; neighbourhoods then send their final tallies",
        response_schema="api/survey",
    ),
    Operation(
        "DELETE",
        "/api/v1/city/surveys/{id}",
        city_survey_withdraw,
        "Withdraw a survey everywhere (federated as Delete); its answers are never counted",
        status=204,
    ),
    Operation(
        "GET",
        "/api/v1/surveys",
        surveys_received_list,
        "Surveys the city sent to my neighbourhood, open ones first",
        response_schema="api/survey-received",
        response_is_list=True,
    ),
    Operation(
        "GET",
        "/api/v1/surveys/{id}",
        survey_received_get,
        "A survey my neighbourhood received, with my (or my household's) current answer",
        response_schema="api/survey-received",
    ),
    Operation(
        "PUT",
        "/api/v1/surveys/{id}/answer",
        survey_answer_put,
        "Give or change my answer while the survey is open",
        request_schema="api/survey-answer",
        response_schema="api/survey-received",
    ),
)
