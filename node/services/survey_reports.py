"""Survey reports: what each neighbourhood tells the city about a survey, and what the city
makes of those reports. The survey use cases (publishing, answering) are in surveys.py.

The two halves run on different nodes, which is why they are kept apart from the use cases:

- `SurveyReportSource` runs on the neighbourhood's node. Reporting (node/services/reporting.py)
  calls it to compute the aggregate sent to the city: participation while the survey is open,
  then once it closes the final tallies with small cells suppressed (node/services/disclosure.py).
- `area_result` and `overall_result` run on the city's node, over the reports it received: the
  results of each neighbourhood, and of all of them together.

`received_survey`, `KIND` and `REPORT_KIND` are defined here because both this module and
surveys.py need them, and this module must not import surveys.py.
"""

from __future__ import annotations

from typing import Any

from node.federation.outbox import unix_time_of
from node.models.city import CityObject, CityReport, Figures, ReportState, ReportSubject
from node.models.surveys import (
    AnswerMode,
    AreaResult,
    QuestionKind,
    QuestionResult,
    ReceivedSurvey,
    Survey,
    SurveyQuestion,
)
from node.services.disclosure import suppress
from node.services.reporting import CityObjectSubjects
from node.storage import city_messages as city_messages_store
from node.storage import surveys as surveys_store

KIND = "survey"
REPORT_KIND = "survey_results"
ALL_NEIGHBOURHOODS = ""


def received_survey(city_object: CityObject) -> ReceivedSurvey:
    """A survey as sent by a city (its document passed the Question schema on receipt)."""
    doc = city_object.document
    questions = tuple(
        SurveyQuestion(
            text=str(q.get("name", "")),
            kind=QuestionKind(q["quartier:questionKind"]),
            options=tuple(str(o) for o in q.get("quartier:options", [])),
            scale_max=int(q.get("quartier:scaleMax", 5)),
            shared=bool(q.get("quartier:sharedWithCity", False)),
            required=bool(q.get("quartier:required", False)),
        )
        for q in doc.get("quartier:questions", [])
    )
    return ReceivedSurvey(
        message_id=city_object.message_id,
        object_uri=city_object.object_uri,
        city_name=city_object.actor_name,
        title=str(doc.get("name", "")),
        intro_html=str(doc.get("content", "")),
        questions=questions,
        answer_mode=AnswerMode(doc.get("quartier:answerMode", "resident")),
        min_cell_size=int(doc.get("quartier:minimumCellSize", 0)),
        opens_at=unix_time_of(doc.get("startTime")) or city_object.published_at,
        closes_at=unix_time_of(doc.get("endTime")) or 2**62,
        closed=bool(doc.get("closed")),
        withdrawn=city_object.withdrawn_at is not None,
    )


class SurveyReportSource(CityObjectSubjects):
    """Report source: participation while open, then the final suppressed tallies."""

    kind = REPORT_KIND
    object_kind = KIND

    def __init__(self, k: int) -> None:
        self._k = k

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None:
        city_object = city_messages_store.get_city_object_by_uri(conn, subject.subject_uri)
        if city_object is None:
            return None
        survey = received_survey(city_object)
        k = max(self._k, survey.min_cell_size)
        counts = surveys_store.tally(conn, survey.object_uri, subject.neighbourhood_id)
        data: dict[str, Any] = {
            "respondents": counts.respondents,
            "respondingHouseholds": counts.responding_households,
            "registeredHouseholds": surveys_store.count_registered_households(
                conn, subject.neighbourhood_id
            ),
            "minimumCellSize": k,
        }
        if survey.state(now) != "closed":
            return Figures(data, final=False)
        questions = []
        for n, q in enumerate(survey.questions):
            answered = counts.answered.get(n, 0)
            entry: dict[str, Any] = {"answered": answered}
            if q.kind is QuestionKind.TEXT:
                if q.shared and answered >= k:
                    # Alphabetical: the order of answers in time, or across questions, would
                    # let the city link answers given by the same resident.
                    entry["texts"] = sorted(counts.texts.get(n, []))
            else:
                raw = [counts.cells.get((n, c), 0) for c in range(len(q.cells))]
                entry["counts"] = suppress(raw, answered, k, q.adds_up)
            questions.append(entry)
        data["questions"] = questions
        return Figures(data, final=True)


# -- reading the reports on the city's side -------------------------------------------------------


def _count(value: Any) -> int:
    """A count from a remote report: figures are untrusted, nonsense counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def area_result(survey: Survey, report: CityReport) -> AreaResult | None:
    f = report.figures
    questions: list[QuestionResult] = []
    entries = f.get("questions") if report.final else None
    if isinstance(entries, list) and len(entries) == len(survey.questions):
        for q, entry in zip(survey.questions, entries, strict=True):
            entry = entry if isinstance(entry, dict) else {}
            raw = entry.get("counts") if isinstance(entry.get("counts"), list) else []
            cells = len(q.cells)
            counts = tuple(
                (None if raw[i] is None else _count(raw[i])) if i < len(raw) else None
                for i in range(cells)
            )
            texts = entry.get("texts") if q.shared else None
            questions.append(
                QuestionResult(
                    question=q,
                    counts=counts,
                    answered=_count(entry.get("answered")),
                    texts=tuple(str(t) for t in texts[:10_000]) if isinstance(texts, list) else (),
                )
            )
    return AreaResult(
        uri=report.neighbourhood_uri,
        name=report.neighbourhood_name,
        host=report.host,
        final=report.final and bool(questions),
        respondents=_count(f.get("respondents")),
        responding_households=_count(f.get("respondingHouseholds")),
        registered_households=_count(f.get("registeredHouseholds")),
        questions=tuple(questions),
        reported_at=report.received_at,
    )


def overall_result(survey: Survey, areas: tuple[AreaResult, ...]) -> AreaResult:
    """All neighbourhoods together: each cell is the sum of its visible parts."""
    finals = [a for a in areas if a.final]
    questions = []
    if finals:
        for n, q in enumerate(survey.questions):
            parts = [a.questions[n] for a in finals]
            cells = len(q.cells)
            questions.append(
                QuestionResult(
                    question=q,
                    counts=tuple(
                        sum(p.counts[i] or 0 for p in parts)
                        if q.kind is not QuestionKind.TEXT
                        else 0
                        for i in range(cells)
                    ),
                    answered=sum(p.answered for p in parts),
                    texts=tuple(sorted(t for p in parts for t in p.texts)),
                    partly_hidden=tuple(
                        any(p.counts[i] is None for p in parts) for i in range(cells)
                    ),
                )
            )
    return AreaResult(
        uri=ALL_NEIGHBOURHOODS,
        name="",
        host="",
        final=bool(areas) and all(a.final for a in areas),
        respondents=sum(a.respondents for a in areas),
        responding_households=sum(a.responding_households for a in areas),
        registered_households=sum(a.registered_households for a in areas),
        questions=tuple(questions),
        reported_at=max((a.reported_at or 0 for a in areas), default=None),
    )
