"""SQL for surveys: the city's own (city node) and residents' answers (their home node)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from node.models.surveys import AnswerMode, Answers, QuestionKind, Survey, SurveyQuestion
from node.storage import city_reports as city_reports_store


def questions_to_json(questions: tuple[SurveyQuestion, ...]) -> str:
    return json.dumps(
        [
            {
                "text": q.text,
                "kind": q.kind.value,
                "options": list(q.options),
                "scale_max": q.scale_max,
                "shared": q.shared,
                "required": q.required,
            }
            for q in questions
        ],
        ensure_ascii=False,
    )


def _questions(text: str) -> tuple[SurveyQuestion, ...]:
    return tuple(
        SurveyQuestion(
            text=q["text"],
            kind=QuestionKind(q["kind"]),
            options=tuple(q["options"]),
            scale_max=q["scale_max"],
            shared=q["shared"],
            required=q["required"],
        )
        for q in json.loads(text)
    )


def put_survey(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    public_note_uri: str | None,
    title: str,
    intro: str,
    questions: tuple[SurveyQuestion, ...],
    answer_mode: AnswerMode,
    min_cell_size: int,
    opens_at: int,
    closes_at: int,
    created_by: int | None,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO surveys (object_uri, public_note_uri, title, intro, questions, answer_mode,"
        " min_cell_size, opens_at, closes_at, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            object_uri,
            public_note_uri,
            title,
            intro,
            questions_to_json(questions),
            answer_mode.value,
            min_cell_size,
            opens_at,
            closes_at,
            created_by,
            now,
        ),
    )
    return cur.lastrowid  # type: ignore[return-value]


def _survey(conn: sqlite3.Connection, row: sqlite3.Row) -> Survey:
    return Survey(
        id=row["id"],
        object_uri=row["object_uri"],
        title=row["title"],
        intro=row["intro"],
        questions=_questions(row["questions"]),
        answer_mode=AnswerMode(row["answer_mode"]),
        min_cell_size=row["min_cell_size"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        closed_at=row["closed_at"],
        created_at=row["created_at"],
        withdrawn_at=row["withdrawn_at"],
        targets=tuple(city_reports_store.list_city_object_targets(conn, row["object_uri"])),
    )


def get_survey_by_id(conn: sqlite3.Connection, survey_id: int) -> Survey | None:
    row = conn.execute("SELECT * FROM surveys WHERE id = ?", (survey_id,)).fetchone()
    return _survey(conn, row) if row else None


def get_survey_by_object_uri(conn: sqlite3.Connection, object_uri: str) -> Survey | None:
    row = conn.execute("SELECT * FROM surveys WHERE object_uri = ?", (object_uri,)).fetchone()
    return _survey(conn, row) if row else None


def get_public_note_uri(conn: sqlite3.Connection, survey_id: int) -> str | None:
    row = conn.execute("SELECT public_note_uri FROM surveys WHERE id = ?", (survey_id,)).fetchone()
    return row[0] if row else None


def list_surveys(conn: sqlite3.Connection, limit: int = 200) -> list[Survey]:
    rows = conn.execute("SELECT * FROM surveys ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_survey(conn, row) for row in rows]


def close_survey(conn: sqlite3.Connection, survey_id: int, now: int) -> None:
    conn.execute(
        "UPDATE surveys SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (now, survey_id)
    )


def withdraw_survey(conn: sqlite3.Connection, survey_id: int, now: int) -> None:
    conn.execute("UPDATE surveys SET withdrawn_at = ? WHERE id = ?", (now, survey_id))


# -- answers (the resident's home node) ---------------------------------------------------------


def put_response(
    conn: sqlite3.Connection,
    *,
    survey_uri: str,
    neighbourhood_id: int,
    respondent: str,
    household_id: int | None,
    user_id: int,
    answers: Answers,
    now: int,
) -> None:
    """Record or replace the respondent's whole answer."""
    row = conn.execute(
        "SELECT id FROM survey_responses WHERE survey_uri = ? AND respondent = ?",
        (survey_uri, respondent),
    ).fetchone()
    if row is None:
        cur = conn.execute(
            "INSERT INTO survey_responses (survey_uri, neighbourhood_id, respondent, household_id,"
            " user_id, answered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (survey_uri, neighbourhood_id, respondent, household_id, user_id, now, now),
        )
        response_id = cur.lastrowid
    else:
        response_id = row["id"]
        conn.execute(
            "UPDATE survey_responses SET neighbourhood_id = ?, household_id = ?, user_id = ?,"
            " updated_at = ? WHERE id = ?",
            (neighbourhood_id, household_id, user_id, now, response_id),
        )
        conn.execute("DELETE FROM survey_answers WHERE response_id = ?", (response_id,))
    rows: list[tuple[int, int, int | None, str | None]] = []
    for question, value in answers.items():
        if isinstance(value, str):
            rows.append((response_id, question, None, value))  # type: ignore[arg-type]
        else:
            rows.extend((response_id, question, choice, None) for choice in value)  # type: ignore[misc]
    conn.executemany(
        "INSERT INTO survey_answers (response_id, question, choice, text) VALUES (?, ?, ?, ?)",
        rows,
    )


@dataclass(frozen=True)
class StoredResponse:
    answers: Answers
    user_id: int | None
    updated_at: int


def get_response(
    conn: sqlite3.Connection, survey_uri: str, respondent: str
) -> StoredResponse | None:
    row = conn.execute(
        "SELECT id, user_id, updated_at FROM survey_responses"
        " WHERE survey_uri = ? AND respondent = ?",
        (survey_uri, respondent),
    ).fetchone()
    if row is None:
        return None
    answers: Answers = {}
    for item in conn.execute(
        "SELECT question, choice, text FROM survey_answers WHERE response_id = ?"
        " ORDER BY question, choice",
        (row["id"],),
    ):
        if item["text"] is not None:
            answers[item["question"]] = item["text"]
        else:
            chosen = answers.setdefault(item["question"], [])
            assert isinstance(chosen, list)
            chosen.append(item["choice"])
    return StoredResponse(answers, row["user_id"], row["updated_at"])


@dataclass(frozen=True)
class Tally:
    """A neighbourhood's raw counts for one survey, before any suppression. Never leaves the
    reporting code: what is sent is computed from it."""

    respondents: int
    responding_households: int
    answered: dict[int, int]  # question -> respondents who answered it
    cells: dict[tuple[int, int], int]  # (question, choice) -> respondents who chose it
    texts: dict[int, list[str]]  # question -> text answers


def tally(conn: sqlite3.Connection, survey_uri: str, neighbourhood_id: int) -> Tally:
    head = conn.execute(
        "SELECT count(*), count(DISTINCT household_id) FROM survey_responses"
        " WHERE survey_uri = ? AND neighbourhood_id = ?",
        (survey_uri, neighbourhood_id),
    ).fetchone()
    answered = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT a.question, count(DISTINCT a.response_id) FROM survey_answers a"
            " JOIN survey_responses r ON r.id = a.response_id"
            " WHERE r.survey_uri = ? AND r.neighbourhood_id = ? GROUP BY a.question",
            (survey_uri, neighbourhood_id),
        )
    }
    cells = {
        (row[0], row[1]): row[2]
        for row in conn.execute(
            "SELECT a.question, a.choice, count(*) FROM survey_answers a"
            " JOIN survey_responses r ON r.id = a.response_id"
            " WHERE r.survey_uri = ? AND r.neighbourhood_id = ? AND a.choice IS NOT NULL"
            " GROUP BY a.question, a.choice",
            (survey_uri, neighbourhood_id),
        )
    }
    texts: dict[int, list[str]] = {}
    for row in conn.execute(
        "SELECT a.question, a.text FROM survey_answers a"
        " JOIN survey_responses r ON r.id = a.response_id"
        " WHERE r.survey_uri = ? AND r.neighbourhood_id = ? AND a.text IS NOT NULL",
        (survey_uri, neighbourhood_id),
    ):
        texts.setdefault(row[0], []).append(row[1])
    return Tally(head[0], head[1], answered, cells, texts)


def count_registered_households(conn: sqlite3.Connection, neighbourhood_id: int) -> int:
    """Households of the neighbourhood with at least one active resident account."""
    return conn.execute(
        "SELECT count(DISTINCT household_id) FROM users WHERE neighbourhood_id = ?"
        " AND status = 'active' AND role IN ('resident', 'moderator')"
        " AND household_id IS NOT NULL",
        (neighbourhood_id,),
    ).fetchone()[0]
