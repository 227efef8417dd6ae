"""Survey pages: the city's builder and results, the public page a fediverse follower lands
on, and the form a resident answers on their home node. Counts only ever reach staff pages."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

from node.api.access import CITY, PUBLIC, RESIDENTS, access
from node.api.api_surveys import results_json
from node.api.app_keys import CONFIG, FEDERATION, REGISTER, SURVEYS, TRANSLATOR_KEY, USER_KEY
from node.api.city_targets import form_with_targets, target_choices
from node.api.params import ID, path_id
from node.api.rendering import Form, render_page
from node.errors import N_, Conflict, Forbidden, InvalidInput
from node.models.surveys import (
    AnswerMode,
    Answers,
    QuestionKind,
    ReceivedSurvey,
    SurveyQuestion,
    SurveyResults,
)
from node.services.city_broadcast import LOCAL, Targets
from node.services.rich_text import clean_received_html, render_markdown
from node.services.surveys import SurveyDraft

QUESTION_BLOCKS = 6  # as many as the builder offers without JavaScript
# A spreadsheet runs a cell that starts with one of these as a formula; names come from
# other nodes, so every text cell of the CSV is defused.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- City staff: list and builder ---------------------------------------------------------


def _now() -> float:
    return time.time()


@access(CITY)
async def surveys_get(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    surveys = await service.list()
    rows = [(s, (await service.results(s.id)).overall) for s in surveys]
    return await render_page(
        request,
        "surveys/city_list.html",
        {"rows": rows, "now": _now(), "notice": request.query.get("notice", "")},
    )


async def _builder_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    return await render_page(
        request,
        "surveys/city_new.html",
        {
            "form": form,
            "blocks": range(QUESTION_BLOCKS),
            **await target_choices(request, form),
            "min_cell_size": request.app[CONFIG].participation.min_cell_size,
        },
        status=status,
    )


@access(CITY)
async def survey_new_get(request: web.Request) -> web.Response:
    return await _builder_page(request, Form({"answer_mode": AnswerMode.HOUSEHOLD.value}))


def _moment(values: dict[str, str], name: str, timezone: str) -> int | None:
    """A `datetime-local` value, read in the node's time zone."""
    value = values.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            {name: N_("Give the date and time as day, month, year, hours and minutes.")}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp())


def _question_from_block(values: dict[str, str], n: int) -> SurveyQuestion | None:
    """Block `n` of the builder as a question; None when the block was left blank."""
    text = values.get(f"q{n}_text", "").strip()
    options_text = values.get(f"q{n}_options", "").strip()
    if not text and not options_text:
        return None
    raw_kind = values.get(f"q{n}_kind", QuestionKind.SINGLE.value)
    try:
        kind = QuestionKind(raw_kind)
    except ValueError:
        raise InvalidInput({f"q{n}_kind": N_("Choose a kind of question from the list.")}) from None
    options = tuple(line.strip() for line in options_text.splitlines() if line.strip())
    return SurveyQuestion(
        text=text,
        kind=kind,
        options=options if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else (),
        scale_max=10 if values.get(f"q{n}_scale") == "10" else 5,
        shared=kind is QuestionKind.TEXT and values.get(f"q{n}_shared") == "on",
        required=values.get(f"q{n}_required") == "on",
    )


def _min_cell_size(values: dict[str, str]) -> int | None:
    raw = values.get("min_cell_size", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise InvalidInput({"min_cell_size": N_("Give a whole number, or leave it empty.")})
    return int(raw)


def _blocks_renamed(error: InvalidInput, blocks: list[int]) -> InvalidInput:
    """The service names a question by its place among the questions given; the page names
    it by the block it was typed in (blank blocks are skipped)."""
    renamed = {}
    for name, message in error.fields.items():
        prefix, _, rest = name.partition("_")
        index = prefix[1:]
        if prefix.startswith("q") and index.isdigit() and int(index) < len(blocks):
            name = f"q{blocks[int(index)]}" + (f"_{rest}" if rest else "_text")
        renamed[name] = message
    return InvalidInput(renamed)


@access(CITY)
async def survey_new_post(request: web.Request) -> web.Response:
    values, targets = await form_with_targets(request)
    timezone = request.app[CONFIG].node.timezone
    questions: list[SurveyQuestion] = []
    blocks: list[int] = []
    try:
        for n in range(QUESTION_BLOCKS):
            question = _question_from_block(values, n)
            if question is not None:
                questions.append(question)
                blocks.append(n)
        mode = values.get("answer_mode", "")
        if mode not in {m.value for m in AnswerMode}:
            raise InvalidInput({"answer_mode": N_("Choose who answers.")})
        draft = SurveyDraft(
            title=values.get("title", "").strip(),
            intro=values.get("intro", ""),
            questions=tuple(questions),
            answer_mode=AnswerMode(mode),
            opens_at=_moment(values, "opens_at", timezone),
            closes_at=_moment(values, "closes_at", timezone),
            targets=Targets.from_form(targets),
            min_cell_size=_min_cell_size(values),
        )
        try:
            survey = await request.app[SURVEYS].create(request[USER_KEY], draft)
        except InvalidInput as exc:
            raise _blocks_renamed(exc, blocks) from None
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _builder_page(request, form, 400)
    raise web.HTTPSeeOther(f"/city/surveys/{survey.id}?notice=created")


# --- City staff: one survey and its results -----------------------------------------------


async def _area_names(request: web.Request) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the neighbourhoods a survey can go to: by stored target, and by actor URI."""
    actors = request.app[FEDERATION].actors
    by_target: dict[str, str] = {}
    by_uri: dict[str, str] = {}
    for n in await request.app[REGISTER].list_neighbourhoods():
        by_target[f"{LOCAL}{n.id}"] = n.name
        by_uri[actors.neighbourhood(n.slug, n.name).uri] = n.name
    for r in await request.app[SURVEYS].remote_neighbourhoods():
        by_target[r.uri] = by_uri[r.uri] = f"{r.name} ({r.host})"
    return by_target, by_uri


def _overall_cells(results: SurveyResults) -> list[list[tuple[str, int | None, bool]]]:
    """Per question: (cell label, total shown, whether some neighbourhood hid part of it)."""
    cells = []
    for result in results.overall.questions:
        labels = result.question.cells
        partly = list(result.partly_hidden) + [False] * len(labels)
        cells.append(list(zip(labels, result.counts, partly, strict=False)))
    return cells


@access(CITY)
async def survey_get(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    survey_id = path_id(request)
    survey = await service.get(survey_id)
    results = await service.results(survey_id)
    by_target, by_uri = await _area_names(request)
    overall_cells = _overall_cells(results)
    return await render_page(
        request,
        "surveys/city_survey.html",
        {
            "survey": survey,
            "results": results,
            "state": survey.state(_now()),
            "intro_html": render_markdown(survey.intro) if survey.intro.strip() else "",
            "target_names": [by_target.get(t, t) for t in survey.targets],
            "missing_names": [by_uri.get(uri, uri) for uri in results.missing],
            "overall_cells": overall_cells,
            "chart_rows": [[(label, count) for label, count, _ in q] for q in overall_cells],
            "some_hidden": [any(hidden for *_, hidden in q) for q in overall_cells],
            "notice": request.query.get("notice", ""),
        },
    )


@access(CITY)
async def survey_close_post(request: web.Request) -> web.Response:
    survey_id = path_id(request)
    await request.app[SURVEYS].close(request[USER_KEY], survey_id)
    raise web.HTTPSeeOther(f"/city/surveys/{survey_id}?notice=closed")


@access(CITY)
async def survey_withdraw_post(request: web.Request) -> web.Response:
    survey_id = path_id(request)
    await request.app[SURVEYS].withdraw(request[USER_KEY], survey_id)
    raise web.HTTPSeeOther(f"/city/surveys/{survey_id}?notice=withdrawn")


def _defused(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def results_rows(results: SurveyResults, overall_label: str) -> Iterator[list[object]]:
    """One row per (area, question, cell); the overall rows first."""
    for area in (results.overall, *results.areas):
        name = overall_label if area is results.overall else area.name
        for number, result in enumerate(area.questions, start=1):
            cells = list(zip(result.question.cells, result.counts, strict=False))
            for label, count in cells or [("", None)]:
                shown = "hidden" if count is None and cells else count
                yield [
                    name,
                    "" if area is results.overall else area.host,
                    number,
                    result.question.text,
                    label,
                    "" if shown is None else shown,
                    result.answered,
                    area.respondents,
                    area.responding_households,
                    area.registered_households,
                ]


CSV_HEADER = (
    "area",
    "host",
    "question number",
    "question",
    "cell",
    "count",
    "answered",
    "respondents",
    "responding households",
    "registered households",
)


@access(CITY)
async def survey_results_csv_get(request: web.Request) -> web.Response:
    survey_id = path_id(request)
    results = await request.app[SURVEYS].results(survey_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in results_rows(results, "All neighbourhoods"):
        writer.writerow([_defused(value) for value in row])
    return web.Response(
        body=buffer.getvalue().encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="survey-{survey_id}-results.csv"',
            "Cache-Control": "no-store",
        },
    )


@access(CITY)
async def survey_results_json_get(request: web.Request) -> web.Response:
    survey_id = path_id(request)
    results = await request.app[SURVEYS].results(survey_id)
    return web.Response(
        text=json.dumps(results_json(results, request.app[CONFIG].base_url), ensure_ascii=False),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="survey-{survey_id}-results.json"',
            "Cache-Control": "no-store",
        },
    )


# --- Anyone: the page a fediverse follower lands on ---------------------------------------


@access(PUBLIC)
async def public_survey_get(request: web.Request) -> web.Response:
    survey = await request.app[SURVEYS].public(request.match_info["uuid"])
    return await render_page(
        request,
        "surveys/public_survey.html",
        {
            "survey": survey,
            "state": survey.state(_now()),
            "intro_html": render_markdown(survey.intro) if survey.intro.strip() else "",
        },
    )


# --- Residents: the surveys their neighbourhood received, and their answer ---------------


@access(RESIDENTS)
async def resident_surveys_get(request: web.Request) -> web.Response:
    # Open ones first: the service's order.
    received = await request.app[SURVEYS].list_received(request[USER_KEY])
    return await render_page(
        request, "surveys/resident_list.html", {"surveys": received, "now": _now()}
    )


def _chosen_from_answers(answers: Answers) -> dict[str, list[str]]:
    """What the form shows ticked or written, by field name."""
    chosen: dict[str, list[str]] = {}
    for index, answer in answers.items():
        chosen[f"q{index}"] = [answer] if isinstance(answer, str) else [str(i) for i in answer]
    return chosen


def _answers_from_form(
    survey: ReceivedSurvey, data: MultiDictProxy
) -> tuple[Answers, dict[str, list[str]]]:
    """The answers posted, and what to show ticked if the page comes back with errors."""
    answers: Answers = {}
    chosen: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for index, question in enumerate(survey.questions):
        name = f"q{index}"
        raw = [v for v in data.getall(name, []) if isinstance(v, str)]
        chosen[name] = raw
        if question.kind is QuestionKind.TEXT:
            text = (raw[0] if raw else "").strip()
            if text:
                answers[index] = text
            continue
        if not raw:
            continue
        if not all(v.isdigit() and len(v) <= 3 for v in raw):
            errors[name] = N_("Choose from the options given.")
            continue
        answers[index] = sorted({int(v) for v in raw})
    if errors:
        raise InvalidInput(errors)
    return answers, chosen


async def _survey_page(
    request: web.Request,
    survey: ReceivedSurvey,
    form: Form,
    chosen: dict[str, list[str]],
    status: int = 200,
) -> web.Response:
    service = request.app[SURVEYS]
    mine = await service.my_answer(request[USER_KEY], survey.message_id)
    return await render_page(
        request,
        "surveys/resident_survey.html",
        {
            "survey": survey,
            "state": survey.state(_now()),
            "intro_html": clean_received_html(survey.intro_html),
            "mine": mine,
            "chosen": chosen if chosen or mine is None else _chosen_from_answers(mine.answers),
            "form": form,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(RESIDENTS)
async def resident_survey_get(request: web.Request) -> web.Response:
    survey = await request.app[SURVEYS].received(request[USER_KEY], path_id(request))
    return await _survey_page(request, survey, Form(), {})


@access(RESIDENTS)
async def resident_survey_post(request: web.Request) -> web.Response:
    service = request.app[SURVEYS]
    user = request[USER_KEY]
    survey = await service.received(user, path_id(request))
    data = await request.post()
    chosen = {k: [v for v in data.getall(k) if isinstance(v, str)] for k in set(data.keys())}
    try:
        answers, chosen = _answers_from_form(survey, data)
        await service.answer(user, survey.message_id, answers)
    except InvalidInput as exc:
        form = Form.from_error({}, exc, request[TRANSLATOR_KEY])
        return await _survey_page(request, survey, form, chosen, 400)
    except (Forbidden, Conflict) as exc:
        # Closed (or withdrawn) while the resident was typing: the page says so, without a form.
        form = Form(errors={"q0": request[TRANSLATOR_KEY].gettext(exc.message, **exc.params)})
        return await _survey_page(request, survey, form, chosen, exc.status)
    raise web.HTTPSeeOther(f"/surveys/{survey.message_id}?notice=saved")


ROUTES = (
    ("GET", "/city/surveys", surveys_get),
    ("GET", "/city/surveys/new", survey_new_get),
    ("POST", "/city/surveys/new", survey_new_post),
    ("GET", f"/city/surveys/{ID}", survey_get),
    ("POST", f"/city/surveys/{ID}/close", survey_close_post),
    ("POST", f"/city/surveys/{ID}/withdraw", survey_withdraw_post),
    ("GET", f"/city/surveys/{ID}/results.csv", survey_results_csv_get),
    ("GET", f"/city/surveys/{ID}/results.json", survey_results_json_get),
    ("GET", r"/public/surveys/{uuid:[0-9a-f-]{36}}", public_survey_get),
    ("GET", "/surveys", resident_surveys_get),
    ("GET", f"/surveys/{ID}", resident_survey_get),
    ("POST", f"/surveys/{ID}", resident_survey_post),
)
