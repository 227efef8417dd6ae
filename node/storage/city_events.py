"""SQL for city events (the city's side), residents' RSVPs (their home node's side) and views
of city messages. RSVPs and views are only ever read back as counts."""

from __future__ import annotations

import sqlite3

from node.models.city_events import CityEvent, RsvpAnswer, RsvpCounts


def _event(row: sqlite3.Row) -> CityEvent:
    return CityEvent(
        id=row["id"],
        object_uri=row["object_uri"],
        title=row["title"],
        description=row["description"],
        location=row["location"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        workshop=bool(row["workshop"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def put_city_event(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    title: str,
    description: str,
    location: str,
    starts_at: int,
    ends_at: int | None,
    workshop: bool,
    created_by: int | None,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO city_events (object_uri, title, description, location, starts_at, ends_at,"
        " workshop, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            object_uri,
            title,
            description,
            location,
            starts_at,
            ends_at,
            int(workshop),
            created_by,
            now,
        ),
    )
    return int(cur.lastrowid or 0)


def get_city_event_by_id(conn: sqlite3.Connection, event_id: int) -> CityEvent | None:
    row = conn.execute("SELECT * FROM city_events WHERE id = ?", (event_id,)).fetchone()
    return _event(row) if row else None


def get_city_event_by_object_uri(conn: sqlite3.Connection, object_uri: str) -> CityEvent | None:
    row = conn.execute("SELECT * FROM city_events WHERE object_uri = ?", (object_uri,)).fetchone()
    return _event(row) if row else None


def list_city_events(conn: sqlite3.Connection, limit: int = 200) -> list[CityEvent]:
    """Newest first: upcoming and past alike, withdrawn ones marked."""
    rows = conn.execute(
        "SELECT * FROM city_events ORDER BY starts_at DESC, id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_event(row) for row in rows]


def withdraw_city_event(conn: sqlite3.Connection, event_id: int, now: int) -> bool:
    cur = conn.execute(
        "UPDATE city_events SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
        (now, event_id),
    )
    return cur.rowcount > 0


# -- RSVPs (a resident's home node) ----------------------------------------------------------


def get_rsvp(conn: sqlite3.Connection, event_uri: str, user_id: int) -> RsvpAnswer:
    row = conn.execute(
        "SELECT answer FROM city_event_rsvps WHERE event_uri = ? AND user_id = ?",
        (event_uri, user_id),
    ).fetchone()
    return RsvpAnswer(row["answer"]) if row else RsvpAnswer.NONE


def put_rsvp(
    conn: sqlite3.Connection,
    event_uri: str,
    user_id: int,
    neighbourhood_id: int,
    answer: RsvpAnswer,
    now: int,
) -> None:
    """Going or maybe replaces any earlier answer; not going deletes it."""
    if answer is RsvpAnswer.NONE:
        conn.execute(
            "DELETE FROM city_event_rsvps WHERE event_uri = ? AND user_id = ?",
            (event_uri, user_id),
        )
        return
    conn.execute(
        "INSERT INTO city_event_rsvps (event_uri, user_id, neighbourhood_id, answer, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_uri, user_id) DO UPDATE SET"
        " neighbourhood_id = excluded.neighbourhood_id, answer = excluded.answer,"
        " updated_at = excluded.updated_at",
        (event_uri, user_id, neighbourhood_id, answer.value, now),
    )


def count_rsvps(conn: sqlite3.Connection, event_uri: str, neighbourhood_id: int) -> RsvpCounts:
    rows = conn.execute(
        "SELECT answer, count(*) AS n FROM city_event_rsvps"
        " WHERE event_uri = ? AND neighbourhood_id = ? GROUP BY answer",
        (event_uri, neighbourhood_id),
    ).fetchall()
    counts = {row["answer"]: row["n"] for row in rows}
    return RsvpCounts(going=counts.get("going", 0), maybe=counts.get("maybe", 0))


# -- views of city messages (a resident's home node) -----------------------------------------


def put_city_message_view(
    conn: sqlite3.Connection, message_id: int, neighbourhood_id: int, viewer: str
) -> bool:
    """Count a view once per viewer key, only of a message sent to that neighbourhood.
    True when this view was new."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO city_message_views (message_id, neighbourhood_id, viewer)"
        " SELECT message_id, neighbourhood_id, ? FROM city_message_targets"
        " WHERE message_id = ? AND neighbourhood_id = ?",
        (viewer, message_id, neighbourhood_id),
    )
    return cur.rowcount > 0


def count_city_message_views(
    conn: sqlite3.Connection, message_id: int, neighbourhood_id: int
) -> int:
    return conn.execute(
        "SELECT count(*) FROM city_message_views WHERE message_id = ? AND neighbourhood_id = ?",
        (message_id, neighbourhood_id),
    ).fetchone()[0]
