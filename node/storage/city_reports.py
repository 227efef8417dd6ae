"""SQL for aggregate reports: what neighbourhoods told the city, and what this node told."""

from __future__ import annotations

import json
import sqlite3

from node.models.city import CityReport, ReportState, ReportSubject
from node.storage.peers import FOLLOWER_GROUPS_SQL, count_follower_groups

# How a local neighbourhood is written among a city object's targets ("local:<id>"); a remote
# one is its actor URI.
LOCAL_TARGET = "local:"


def put_city_report(
    conn: sqlite3.Connection,
    *,
    subject_uri: str,
    kind: str,
    neighbourhood_uri: str,
    neighbourhood_name: str,
    host: str,
    sequence: int,
    final: bool,
    figures: dict,
    now: int,
) -> bool:
    """Keep the report if it is newer than the one held (deliveries may arrive out of order);
    a final report is never replaced. True if stored."""
    row = conn.execute(
        "SELECT sequence, final FROM city_reports"
        " WHERE subject_uri = ? AND kind = ? AND neighbourhood_uri = ?",
        (subject_uri, kind, neighbourhood_uri),
    ).fetchone()
    if row is not None and (row["final"] or row["sequence"] >= sequence):
        return False
    conn.execute(
        "INSERT OR REPLACE INTO city_reports (subject_uri, kind, neighbourhood_uri,"
        " neighbourhood_name, host, sequence, final, figures, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            subject_uri,
            kind,
            neighbourhood_uri,
            neighbourhood_name,
            host,
            sequence,
            int(final),
            json.dumps(figures, ensure_ascii=False, sort_keys=True),
            now,
        ),
    )
    return True


def _report(row: sqlite3.Row) -> CityReport:
    return CityReport(
        subject_uri=row["subject_uri"],
        kind=row["kind"],
        neighbourhood_uri=row["neighbourhood_uri"],
        neighbourhood_name=row["neighbourhood_name"],
        host=row["host"],
        sequence=row["sequence"],
        final=bool(row["final"]),
        figures=json.loads(row["figures"]),
        received_at=row["received_at"],
    )


def list_city_reports(conn: sqlite3.Connection, subject_uri: str, kind: str) -> list[CityReport]:
    rows = conn.execute(
        "SELECT * FROM city_reports WHERE subject_uri = ? AND kind = ?"
        " ORDER BY neighbourhood_name, neighbourhood_uri",
        (subject_uri, kind),
    ).fetchall()
    return [_report(row) for row in rows]


def list_city_reports_of_kind(conn: sqlite3.Connection, kind: str) -> list[CityReport]:
    rows = conn.execute(
        "SELECT * FROM city_reports WHERE kind = ? ORDER BY subject_uri, neighbourhood_name",
        (kind,),
    ).fetchall()
    return [_report(row) for row in rows]


def get_report_state(
    conn: sqlite3.Connection, subject_uri: str, kind: str, neighbourhood_id: int
) -> ReportState | None:
    row = conn.execute(
        "SELECT report_uri, sequence, figures_hash, final, sent_at FROM report_state"
        " WHERE subject_uri = ? AND kind = ? AND neighbourhood_id = ?",
        (subject_uri, kind, neighbourhood_id),
    ).fetchone()
    return _report_state(row) if row is not None else None


def _report_state(row) -> ReportState:
    report_uri, sequence, figures_hash, final, sent_at = row
    return ReportState(report_uri, sequence, figures_hash, bool(final), sent_at)


def list_open_report_subjects(
    conn: sqlite3.Connection, object_kind: str, report_kind: str
) -> list[tuple[ReportSubject, ReportState | None]]:
    """Every live city object of `object_kind`, once per neighbourhood it targets, with what
    was last reported on it (None before the first report) — except those whose final
    report went: nothing about them can change, and a city that has published for years
    would otherwise have each reporting pass walk all it ever sent. One query, and the
    documents are not read (a pass runs after every inbox batch)."""
    rows = conn.execute(
        "SELECT m.object_uri, m.actor, t.neighbourhood_id,"
        " r.report_uri, r.sequence, r.figures_hash, r.final, r.sent_at"
        " FROM city_messages m JOIN city_message_targets t ON t.message_id = m.id"
        " LEFT JOIN report_state r ON r.subject_uri = m.object_uri AND r.kind = ?"
        "  AND r.neighbourhood_id = t.neighbourhood_id"
        " WHERE m.kind = ? AND m.withdrawn_at IS NULL AND coalesce(r.final, 0) = 0"
        " ORDER BY m.id, t.neighbourhood_id",
        (report_kind, object_kind),
    ).fetchall()
    return [
        (
            ReportSubject(row[0], row[1], row[2]),
            _report_state(row[3:]) if row[3] is not None else None,
        )
        for row in rows
    ]


def put_report_state(
    conn: sqlite3.Connection,
    subject_uri: str,
    kind: str,
    neighbourhood_id: int,
    state: ReportState,
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO report_state (subject_uri, kind, neighbourhood_id, report_uri,"
        " sequence, figures_hash, final, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            subject_uri,
            kind,
            neighbourhood_id,
            state.report_uri,
            state.sequence,
            state.figures_hash,
            int(state.final),
            state.sent_at,
        ),
    )


def put_city_object_targets(conn: sqlite3.Connection, object_uri: str, targets: list[str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO city_object_targets (object_uri, target) VALUES (?, ?)",
        [(object_uri, t) for t in targets],
    )


def put_follower_groups_as_targets(
    conn: sqlite3.Connection, object_uri: str, local_actor: str
) -> None:
    """Target every neighbourhood following `local_actor` now ("every neighbourhood")."""
    conn.execute(
        "INSERT OR IGNORE INTO city_object_targets (object_uri, target)"
        f" SELECT ?, remote_actor FROM ({FOLLOWER_GROUPS_SQL})",
        (object_uri, local_actor),
    )


def list_city_object_targets(
    conn: sqlite3.Connection, object_uri: str, only: str | None = None
) -> list[str]:
    """Where the object went; `only="local"` or `"remote"` for one kind of target."""
    condition = {
        None: "",
        "local": f" AND target LIKE '{LOCAL_TARGET}%'",
        "remote": f" AND target NOT LIKE '{LOCAL_TARGET}%'",
    }[only]
    rows = conn.execute(
        f"SELECT target FROM city_object_targets WHERE object_uri = ?{condition} ORDER BY target",
        (object_uri,),
    ).fetchall()
    return [row[0] for row in rows]


def targets_every_follower_group(
    conn: sqlite3.Connection, object_uri: str, local_actor: str
) -> bool:
    """True when the object's remote targets are exactly the neighbourhoods following
    `local_actor` now (and there is at least one)."""
    targeted, following_targeted = conn.execute(
        "SELECT count(*), count(g.remote_actor) FROM city_object_targets t"
        f" LEFT JOIN ({FOLLOWER_GROUPS_SQL}) g ON g.remote_actor = t.target"
        f" WHERE t.object_uri = ? AND t.target NOT LIKE '{LOCAL_TARGET}%'",
        (local_actor, object_uri),
    ).fetchone()
    return targeted > 0 and targeted == following_targeted == count_follower_groups(
        conn, local_actor
    )
