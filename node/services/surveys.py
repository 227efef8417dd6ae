"""Surveys: the city asks, residents answer on their home node, the city sees aggregates.

The city's node publishes a `Question` carrying its questions in the `quartier:questions`
extension (docs/federation.md) to the targeted neighbourhoods, local and remote, and a plain
`Note` linking to the survey's public page to fediverse followers (never a votable poll).

A resident answers on their home node, and may change the answer until closing. Answers never
leave that node. While the survey is open, each neighbourhood reports only participation
(respondents, responding and registered households); once it closes, one final report with
the tallies per question and option, small cells suppressed (node/services/disclosure.py),
and the free-text answers of questions the city marked as shared, without any identifier and
in alphabetical order. Reporting only once at the end means successive tallies cannot be
compared to single out one resident's answer. Those reports are computed, and read on the
city's side, in node/services/survey_reports.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import escape

from node.config import Config
from node.errors import N_, InvalidInput, NotFound
from node.federation.outbox import iso_now
from node.federation.runtime import Federation
from node.models import User
from node.models.surveys import (
    AnswerMode,
    Answers,
    MyAnswer,
    QuestionKind,
    ReceivedSurvey,
    Survey,
    SurveyQuestion,
    SurveyResults,
)
from node.services.city_broadcast import (
    LOCAL,
    CityBroadcast,
    RemoteNeighbourhood,
    ResidentView,
    Targets,
)
from node.services.reporting import Reporting
from node.services.rich_text import render_markdown
from node.services.survey_reports import (
    KIND,
    REPORT_KIND,
    SurveyReportSource,
    area_result,
    overall_result,
    received_survey,
)
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import surveys as surveys_store
from node.storage.database import Database

MAX_QUESTIONS = 30
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 2000


@dataclass(frozen=True)
class SurveyDraft:
    title: str
    intro: str
    questions: tuple[SurveyQuestion, ...]
    answer_mode: AnswerMode
    opens_at: int | None
    closes_at: int | None
    targets: Targets
    min_cell_size: int | None = None


def question_document(q: SurveyQuestion) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "type": "quartier:SurveyQuestion",
        "name": q.text,
        "quartier:questionKind": q.kind.value,
        "quartier:sharedWithCity": q.shared,
        "quartier:required": q.required,
    }
    if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        wire["quartier:options"] = list(q.options)
    if q.kind is QuestionKind.SCALE:
        wire["quartier:scaleMax"] = q.scale_max
    return wire


class Surveys:
    def __init__(
        self,
        db: Database,
        config: Config,
        broadcast: CityBroadcast,
        reporting: Reporting,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._broadcast = broadcast
        self._reporting = reporting
        self._federation = federation
        self._clock = clock
        self._k = config.participation.min_cell_size
        reporting.register(SurveyReportSource(self._k))

    # -- the city's side ----------------------------------------------------------------------

    def _check(self, draft: SurveyDraft) -> SurveyDraft:
        problems: dict[str, Any] = {}
        title = " ".join(draft.title.split())
        if not 3 <= len(title) <= 200:
            problems["title"] = N_("Give the survey a title of 3 to 200 characters.")
        if len(draft.intro) > 10_000:
            problems["intro"] = N_("Keep the introduction under 10,000 characters.")
        if not draft.questions:
            problems["questions"] = N_("Add at least one question.")
        if len(draft.questions) > MAX_QUESTIONS:
            problems["questions"] = N_("A survey has at most 30 questions.")
        questions = []
        for n, q in enumerate(draft.questions):
            text = " ".join(q.text.split())
            options = tuple(o.strip() for o in q.options if o.strip())
            if not 2 <= len(text) <= 500:
                problems[f"q{n}_text"] = N_("Write the question (2 to 500 characters).")
            if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                if not 2 <= len(options) <= MAX_OPTIONS:
                    problems[f"q{n}_options"] = N_("Give 2 to 20 options, one per line.")
                elif len(set(options)) != len(options) or any(len(o) > 200 for o in options):
                    problems[f"q{n}_options"] = N_(
                        "Each option must be different and at most 200 characters."
                    )
            if q.kind is QuestionKind.SCALE and q.scale_max not in (5, 10):
                problems[f"q{n}_kind"] = N_("A scale goes from 1 to 5 or from 1 to 10.")
            keep_options = q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
            questions.append(
                replace(
                    q,
                    text=text,
                    options=options if keep_options else (),
                    shared=q.shared and q.kind is QuestionKind.TEXT,
                )
            )
        now = int(self._clock())
        opens_at = draft.opens_at or now
        if draft.closes_at is None:
            problems["closes_at"] = N_("Choose when the survey closes.")
        elif draft.closes_at <= max(now, opens_at):
            problems["closes_at"] = N_(
                "The closing date must be after the opening and in the future."
            )
        if draft.min_cell_size is not None and draft.min_cell_size < self._k:
            problems["min_cell_size"] = (
                N_("Small cells are hidden below %(k)d respondents; choose %(k)d or more."),
                {"k": self._k},
            )
        if draft.targets.empty:
            problems["targets"] = N_("Choose at least one neighbourhood, or all of them.")
        if problems:
            raise InvalidInput(problems)
        return replace(draft, title=title, questions=tuple(questions), opens_at=opens_at)

    def _question_document(
        self,
        object_uri: str,
        title: str,
        intro: str,
        questions: tuple[SurveyQuestion, ...],
        answer_mode: AnswerMode,
        min_cell_size: int,
        opens_at: int,
        closes_at: int,
        closed_at: int | None,
    ) -> dict[str, Any]:
        uuid = self._broadcast.uuid_of(object_uri)
        document: dict[str, Any] = {
            "id": object_uri,
            "type": "Question",
            "name": title,
            "content": render_markdown(intro) if intro.strip() else "",
            "url": f"{self._broadcast.base_url}/public/surveys/{uuid}",
            "startTime": iso_now(opens_at),
            "endTime": iso_now(closes_at),
            "quartier:answerMode": answer_mode.value,
            "quartier:minimumCellSize": min_cell_size,
            "quartier:questions": [question_document(q) for q in questions],
        }
        if len(questions) == 1 and questions[0].kind in (
            QuestionKind.SINGLE,
            QuestionKind.MULTIPLE,
        ):
            # Mastodon-compatible single-question poll shape, for software that reads it.
            key = "oneOf" if questions[0].kind is QuestionKind.SINGLE else "anyOf"
            document[key] = [{"type": "Note", "name": o} for o in questions[0].options]
        if closed_at is not None:
            document["closed"] = iso_now(closed_at)
        return document

    def _document_of(self, survey: Survey) -> dict[str, Any]:
        return self._question_document(
            survey.object_uri,
            survey.title,
            survey.intro,
            survey.questions,
            survey.answer_mode,
            survey.min_cell_size,
            survey.opens_at,
            survey.closes_at,
            survey.closed_at,
        )

    async def create(self, author: User, draft: SurveyDraft) -> Survey:
        draft = self._check(draft)
        assert draft.opens_at is not None and draft.closes_at is not None
        min_cell_size = max(draft.min_cell_size or self._k, self._k)
        object_uri = self._broadcast.new_object_uri()
        document = self._question_document(
            object_uri,
            draft.title,
            draft.intro,
            draft.questions,
            draft.answer_mode,
            min_cell_size,
            draft.opens_at,
            draft.closes_at,
            None,
        )
        # Fediverse followers get a Note pointing at the survey's page, never a poll they
        # could vote in: only residents answer, on their home node.
        note_uri = self._broadcast.new_object_uri()
        link = document["url"]
        public_note = {
            "id": note_uri,
            "type": "Note",
            "name": draft.title,
            "content": (
                f'<p>{escape(draft.title)}</p><p><a href="{escape(link)}">{escape(link)}</a></p>'
            ),
            "url": link,
        }
        now = int(self._clock())

        def store(conn) -> int:
            return surveys_store.put_survey(
                conn,
                object_uri=object_uri,
                public_note_uri=note_uri,
                title=draft.title,
                intro=draft.intro,
                questions=draft.questions,
                answer_mode=draft.answer_mode,
                min_cell_size=min_cell_size,
                opens_at=draft.opens_at,  # type: ignore[arg-type]
                closes_at=draft.closes_at,  # type: ignore[arg-type]
                created_by=author.id,
                now=now,
            )

        survey_id = await self._broadcast.publish(
            source="survey",
            kind=KIND,
            obj=document,
            targets=draft.targets,
            view=ResidentView(title=draft.title, content_html=document["content"]),
            public=False,
            store=store,
            public_copy=public_note,
        )
        self._reporting.wake()
        return await self.get(survey_id)

    async def get(self, survey_id: int) -> Survey:
        survey = await self._db.read("get_survey", surveys_store.get_survey_by_id, survey_id)
        if survey is None:
            raise NotFound(N_("There is no such survey."))
        return survey

    async def list(self) -> list[Survey]:
        return await self._db.read("list_surveys", surveys_store.list_surveys)

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        return await self._broadcast.remote_neighbourhoods()

    async def public(self, uuid: str) -> Survey:
        uri = self._federation.actors.object_uri(uuid)
        survey = await self._db.read("public_survey", surveys_store.get_survey_by_object_uri, uri)
        if survey is None or survey.withdrawn_at is not None:
            raise NotFound(N_("There is no such survey."))
        return survey

    async def close(self, author: User, survey_id: int) -> Survey:
        """Close now: every neighbourhood then sends its final tallies."""
        survey = await self.get(survey_id)
        now = int(self._clock())
        if survey.state(now) in ("closed", "withdrawn"):
            return survey
        closed = replace(survey, closed_at=now)
        document = self._document_of(closed)
        await self._broadcast.update(
            source="survey",
            kind=KIND,
            obj=document,
            view=ResidentView(title=survey.title, content_html=document["content"]),
            store=lambda conn: surveys_store.close_survey(conn, survey_id, now),
        )
        self._reporting.wake()
        return await self.get(survey_id)

    async def withdraw(self, author: User, survey_id: int) -> None:
        survey = await self.get(survey_id)
        if survey.withdrawn_at is not None:
            return
        now = int(self._clock())
        note_uri = await self._db.read("survey_note", surveys_store.get_public_note_uri, survey_id)
        await self._broadcast.withdraw(
            source="survey",
            object_uri=survey.object_uri,
            store=lambda conn: surveys_store.withdraw_survey(conn, survey_id, now),
            also=(note_uri,) if note_uri else (),
        )

    async def results(self, survey_id: int) -> SurveyResults:
        survey = await self.get(survey_id)

        def read(conn):
            reports = city_reports_store.list_city_reports(conn, survey.object_uri, REPORT_KIND)
            slugs = {n.id: n.slug for n in neighbourhoods_store.list_neighbourhoods(conn)}
            return reports, slugs

        reports, slugs = await self._db.read("survey_reports", read)
        areas = tuple(
            area for report in reports if (area := area_result(survey, report)) is not None
        )
        actors = self._federation.actors
        expected = set()
        for target in survey.targets:
            if target.startswith(LOCAL):
                slug = slugs.get(int(target[len(LOCAL) :]))
                if slug:
                    expected.add(actors.neighbourhood(slug, slug).uri)
            else:
                expected.add(target)
        reported = {a.uri for a in areas}
        return SurveyResults(
            survey=survey,
            areas=areas,
            overall=overall_result(survey, areas),
            missing=tuple(sorted(expected - reported)),
        )

    # -- the resident's side (their home node) ------------------------------------------------

    async def list_received(self, user: User) -> list[ReceivedSurvey]:
        if user.neighbourhood_id is None:
            return []

        def read(conn) -> list[ReceivedSurvey]:
            return [
                received_survey(obj)
                for obj, n_id in city_messages_store.list_city_object_targets_of_kind(conn, KIND)
                if n_id == user.neighbourhood_id
            ]

        found = await self._db.read("received_surveys", read)
        now = self._clock()
        order = {"open": 0, "scheduled": 1, "closed": 2, "withdrawn": 3}
        return sorted(found, key=lambda s: (order[s.state(now)], -s.closes_at))

    async def received(self, user: User, message_id: int) -> ReceivedSurvey:
        if user.neighbourhood_id is None:
            raise NotFound(N_("There is no such survey."))
        found = await self._db.read(
            "received_survey",
            city_messages_store.get_city_object_for_neighbourhood,
            message_id,
            user.neighbourhood_id,
            KIND,
        )
        if found is None:
            raise NotFound(N_("There is no such survey."))
        return received_survey(found)

    @staticmethod
    def _respondent(user: User, survey: ReceivedSurvey) -> str:
        if survey.answer_mode is AnswerMode.HOUSEHOLD and user.household_id is not None:
            return f"h:{user.household_id}"
        return f"u:{user.id}"

    async def my_answer(self, user: User, message_id: int) -> MyAnswer | None:
        survey = await self.received(user, message_id)
        stored = await self._db.read(
            "my_survey_answer",
            surveys_store.get_response,
            survey.object_uri,
            self._respondent(user, survey),
        )
        if stored is None:
            return None
        return MyAnswer(stored.answers, stored.updated_at, stored.user_id != user.id)

    async def answer(self, user: User, message_id: int, answers: Answers) -> None:
        survey = await self.received(user, message_id)
        state = survey.state(self._clock())
        if state != "open":
            message = {
                "scheduled": N_("This survey is not open yet."),
                "closed": N_("This survey is closed: answers can no longer be given or changed."),
                "withdrawn": N_("The city withdrew this survey."),
            }[state]
            raise InvalidInput({"q0": message})
        clean = _check_answers(survey, answers)
        now = int(self._clock())
        assert user.neighbourhood_id is not None
        await self._db.write(
            "answer_survey",
            lambda conn: surveys_store.put_response(
                conn,
                survey_uri=survey.object_uri,
                neighbourhood_id=user.neighbourhood_id,
                respondent=self._respondent(user, survey),
                household_id=user.household_id,
                user_id=user.id,
                answers=clean,
                now=now,
            ),
        )


def _check_answers(survey: ReceivedSurvey, answers: Answers) -> Answers:
    problems: dict[str, str] = {}
    clean: Answers = {}
    # Through the API an answer can name any number and hold any JSON: each wrong one is
    # named, rather than dropped and reported as "answer at least one question".
    for n in sorted(answers):
        if not 0 <= n < len(survey.questions):
            problems[f"q{n}"] = N_("This survey has no such question.")
    for n, q in enumerate(survey.questions):
        value = answers.get(n)
        if q.kind is QuestionKind.TEXT:
            if value is not None and not isinstance(value, str):
                problems[f"q{n}"] = N_("Answer this question with text.")
                continue
            text = value.strip() if value is not None else ""
            if len(text) > MAX_TEXT_ANSWER:
                problems[f"q{n}"] = N_("Keep your answer under 2,000 characters.")
            elif text:
                clean[n] = text
        else:
            if value is not None and not isinstance(value, list):
                problems[f"q{n}"] = N_("Choose from the options given.")
                continue
            size = q.scale_max if q.kind is QuestionKind.SCALE else len(q.options)
            if any(
                not isinstance(c, int) or isinstance(c, bool) or not 0 <= c < size
                for c in value or []
            ):
                problems[f"q{n}"] = N_("Choose from the options given.")
                continue
            chosen = sorted(set(value or []))
            if len(chosen) > 1 and q.kind is not QuestionKind.MULTIPLE:
                problems[f"q{n}"] = N_("Choose one answer.")
            elif chosen:
                clean[n] = chosen
        if q.required and n not in clean and f"q{n}" not in problems:
            problems[f"q{n}"] = N_("This question needs an answer.")
    if not clean and not problems:
        problems["q0"] = N_("Answer at least one question.")
    if problems:
        raise InvalidInput(problems)
    return clean
