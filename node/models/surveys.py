"""Surveys: what the city asks, what a resident answers, and the aggregates the city sees."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class QuestionKind(StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # any number of options
    SCALE = "scale"  # a value from 1 to scale_max (5 or 10)
    TEXT = "text"  # free text; travels to the city only when `shared`


class AnswerMode(StrEnum):
    RESIDENT = "resident"  # one answer per resident
    HOUSEHOLD = "household"  # one answer per household: any member may give or change it


@dataclass(frozen=True)
class SurveyQuestion:
    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()
    scale_max: int = 5
    shared: bool = False  # free-text answers go to the city, without any identifier
    required: bool = False

    @property
    def cells(self) -> list[str]:
        """The labels of the counted cells: the options, or the scale's values."""
        if self.kind is QuestionKind.SCALE:
            return [str(v) for v in range(1, self.scale_max + 1)]
        return list(self.options)

    @property
    def adds_up(self) -> bool:
        """Do the cells add up to the number of answers (so one hidden cell is derivable)?"""
        return self.kind in (QuestionKind.SINGLE, QuestionKind.SCALE)


@dataclass(frozen=True)
class Survey:
    """The city's own survey, on the city's node."""

    id: int
    object_uri: str
    title: str
    intro: str
    questions: tuple[SurveyQuestion, ...]
    answer_mode: AnswerMode
    min_cell_size: int
    opens_at: int
    closes_at: int
    closed_at: int | None
    created_at: int
    withdrawn_at: int | None
    targets: tuple[str, ...] = ()

    @property
    def uuid(self) -> str:
        return self.object_uri.rsplit("/", 1)[1]

    def state(self, now: float) -> str:
        """ "withdrawn", "scheduled", "open" or "closed"."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.closed_at is not None or now >= self.closes_at:
            return "closed"
        return "scheduled" if now < self.opens_at else "open"


@dataclass(frozen=True)
class ReceivedSurvey:
    """A survey as residents of a neighbourhood see it, local or from a city on another node."""

    message_id: int
    object_uri: str
    city_name: str
    title: str
    intro_html: str
    questions: tuple[SurveyQuestion, ...]
    answer_mode: AnswerMode
    min_cell_size: int
    opens_at: int
    closes_at: int
    closed: bool
    withdrawn: bool

    def state(self, now: float) -> str:
        if self.withdrawn:
            return "withdrawn"
        if self.closed or now >= self.closes_at:
            return "closed"
        return "scheduled" if now < self.opens_at else "open"


# question index -> chosen option indexes (a scale: [value - 1]) or the text written
Answers = dict[int, list[int] | str]


@dataclass(frozen=True)
class MyAnswer:
    answers: Answers
    updated_at: int
    by_someone_else: bool  # a household answer last changed by another member


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    counts: tuple[int | None, ...]  # per cell; None = hidden (fewer than k)
    answered: int
    texts: tuple[str, ...] = ()  # shared free text only
    # Overall results only: True where some neighbourhood's part of the cell is hidden, so
    # the count shown is the sum of the visible parts ("at least").
    partly_hidden: tuple[bool, ...] = ()

    @property
    def hidden(self) -> int | None:
        """Answers in hidden cells, when the cells add up; None when that is unknown."""
        if not self.question.adds_up:
            return None
        return self.answered - sum(c for c in self.counts if c is not None)


@dataclass(frozen=True)
class AreaResult:
    """Results of one neighbourhood, or of all together (`uri` empty)."""

    uri: str
    name: str
    host: str
    final: bool
    respondents: int
    responding_households: int
    registered_households: int
    questions: tuple[QuestionResult, ...]  # empty until the final report
    reported_at: int | None

    @property
    def participation(self) -> float | None:
        if not self.registered_households:
            return None
        return self.responding_households / self.registered_households


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    areas: tuple[AreaResult, ...]
    overall: AreaResult
    missing: tuple[str, ...]  # targeted neighbourhoods that have not reported yet

    @property
    def complete(self) -> bool:
        return not self.missing and all(a.final for a in self.areas)
