"""SQL for calls for volunteers: the city's calls, residents' answers, and who was told."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from node.models.volunteer_calls import SharedContact, VolunteerCall, VolunteerReply
from node.storage import city_reports as city_reports_store

# -- the city's side ----------------------------------------------------------------------------


def put_volunteer_call(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    title: str,
    description: str,
    needed: int | None,
    ends_at: int | None,
    created_by: int | None,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO volunteer_calls (object_uri, title, description, needed, ends_at,"
        " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (object_uri, title, description, needed, ends_at, created_by, now),
    )
    return int(cur.lastrowid or 0)


def _call(row: sqlite3.Row, targets: tuple[str, ...] = ()) -> VolunteerCall:
    return VolunteerCall(
        id=row["id"],
        object_uri=row["object_uri"],
        title=row["title"],
        description=row["description"],
        needed=row["needed"],
        ends_at=row["ends_at"],
        created_at=row["created_at"],
        withdrawn_at=row["withdrawn_at"],
        targets=targets,
    )


def _targets(conn: sqlite3.Connection, object_uri: str) -> tuple[str, ...]:
    return tuple(sorted(city_reports_store.list_city_object_targets(conn, object_uri)))


def get_volunteer_call_by_id(conn: sqlite3.Connection, call_id: int) -> VolunteerCall | None:
    row = conn.execute("SELECT * FROM volunteer_calls WHERE id = ?", (call_id,)).fetchone()
    return _call(row, _targets(conn, row["object_uri"])) if row else None


def list_volunteer_calls(conn: sqlite3.Connection, limit: int = 200) -> list[VolunteerCall]:
    """The city's calls, newest first."""
    rows = conn.execute(
        "SELECT * FROM volunteer_calls ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_call(row, _targets(conn, row["object_uri"])) for row in rows]


def update_volunteer_call_withdrawn(conn: sqlite3.Connection, call_id: int, now: int) -> bool:
    cur = conn.execute(
        "UPDATE volunteer_calls SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
        (now, call_id),
    )
    return cur.rowcount > 0


# -- residents' answers, on their home node ------------------------------------------------------


def get_volunteer_reply(
    conn: sqlite3.Connection, call_uri: str, user_id: int
) -> VolunteerReply | None:
    row = conn.execute(
        "SELECT * FROM volunteer_replies WHERE call_uri = ? AND user_id = ?",
        (call_uri, user_id),
    ).fetchone()
    if row is None:
        return None
    return VolunteerReply(
        share_contact=bool(row["share_contact"]),
        contact_name=row["contact_name"],
        contact_details=row["contact_details"],
        message=row["message"],
        answered_at=row["answered_at"],
    )


def put_volunteer_reply(
    conn: sqlite3.Connection,
    *,
    call_uri: str,
    user_id: int,
    neighbourhood_id: int,
    reply: VolunteerReply,
) -> None:
    """Answer, or change the answer (one per resident and call)."""
    conn.execute(
        "INSERT INTO volunteer_replies (call_uri, user_id, neighbourhood_id, share_contact,"
        " contact_name, contact_details, message, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (call_uri, user_id) DO UPDATE SET"
        " neighbourhood_id = excluded.neighbourhood_id,"
        " share_contact = excluded.share_contact, contact_name = excluded.contact_name,"
        " contact_details = excluded.contact_details, message = excluded.message,"
        " answered_at = excluded.answered_at",
        (
            call_uri,
            user_id,
            neighbourhood_id,
            int(reply.share_contact),
            reply.contact_name,
            reply.contact_details,
            reply.message,
            reply.answered_at,
        ),
    )


def delete_volunteer_reply(conn: sqlite3.Connection, call_uri: str, user_id: int) -> bool:
    cur = conn.execute(
        "DELETE FROM volunteer_replies WHERE call_uri = ? AND user_id = ?", (call_uri, user_id)
    )
    return cur.rowcount > 0


# Answers count while their author is still an active resident of that neighbourhood: someone
# who left or was removed stops counting, and their contact stops travelling.
_COUNTED = (
    " FROM volunteer_replies r JOIN users u ON u.id = r.user_id"
    " WHERE r.call_uri = ? AND r.neighbourhood_id = ? AND u.neighbourhood_id = r.neighbourhood_id"
    " AND u.status = 'active' AND u.role IN ('resident', 'moderator')"
)


def count_volunteer_replies(conn: sqlite3.Connection, call_uri: str, neighbourhood_id: int) -> int:
    return conn.execute("SELECT count(*)" + _COUNTED, (call_uri, neighbourhood_id)).fetchone()[0]


def list_shared_contacts(
    conn: sqlite3.Connection, call_uri: str, neighbourhood_id: int, limit: int
) -> list[SharedContact]:
    """Contacts volunteers chose to share, sorted by what they say (never in answer order, so
    the list does not tell who answered first)."""
    rows = conn.execute(
        "SELECT r.contact_name, r.contact_details, r.message"
        + _COUNTED
        + " AND r.share_contact = 1"
        " ORDER BY r.contact_name COLLATE NOCASE, r.contact_name, r.contact_details, r.message"
        " LIMIT ?",
        (call_uri, neighbourhood_id, limit),
    ).fetchall()
    return [
        SharedContact(row["contact_name"], row["contact_details"], row["message"]) for row in rows
    ]


# -- telling volunteers -------------------------------------------------------------------------


def list_unnotified_call_targets(
    conn: sqlite3.Connection,
) -> list[tuple[int, int, dict[str, Any]]]:
    """(city message id, neighbourhood id, call document) of live calls whose volunteers in
    that neighbourhood were not told yet."""
    rows = conn.execute(
        "SELECT m.id, t.neighbourhood_id, m.document FROM city_messages m"
        " JOIN city_message_targets t ON t.message_id = m.id"
        " LEFT JOIN volunteer_call_notices n"
        "   ON n.message_id = m.id AND n.neighbourhood_id = t.neighbourhood_id"
        " WHERE m.kind = 'volunteer_call' AND m.withdrawn_at IS NULL AND n.message_id IS NULL"
        " ORDER BY m.id, t.neighbourhood_id"
    ).fetchall()
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


def put_call_notifications(
    conn: sqlite3.Connection,
    message_id: int,
    neighbourhood_id: int,
    user_ids: list[int],
    now: int,
) -> None:
    """Notify these volunteers of a call and remember the neighbourhood was told."""
    conn.executemany(
        "INSERT INTO notifications (user_id, kind, city_message_id, created_at)"
        " VALUES (?, 'volunteer_call', ?, ?)",
        [(user_id, message_id, now) for user_id in user_ids],
    )
    conn.execute(
        "INSERT OR IGNORE INTO volunteer_call_notices (message_id, neighbourhood_id, notified_at)"
        " VALUES (?, ?, ?)",
        (message_id, neighbourhood_id, now),
    )
