"""SQL for city content as residents see it (received from a city, or the local city's)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from node.models.city import CityObject
from node.models.federation import CityMessage


def _message(row: sqlite3.Row) -> CityMessage:
    return CityMessage(
        id=row["id"],
        object_uri=row["object_uri"],
        actor=row["actor"],
        actor_name=row["actor_name"],
        kind=row["kind"],
        title=row["title"],
        content_html=row["content_html"],
        urgent=bool(row["urgent"]),
        pinned=bool(row["pinned"]),
        expires_at=row["expires_at"],
        published_at=row["published_at"],
        updated_at=row["updated_at"],
    )


def put_city_message(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    actor: str,
    actor_name: str,
    kind: str,
    title: str,
    content_html: str,
    urgent: bool,
    pinned: bool,
    expires_at: int | None,
    published_at: int,
    document: str,
    neighbourhood_ids: list[int],
    now: int,
) -> bool:
    """Store or update a city message for the given neighbourhoods. False if nothing changed
    because it was withdrawn earlier (a late Update never resurrects a Delete)."""
    row = conn.execute(
        "SELECT id, withdrawn_at FROM city_messages WHERE object_uri = ?", (object_uri,)
    ).fetchone()
    if row is not None and row["withdrawn_at"] is not None:
        return False
    if row is None:
        cur = conn.execute(
            "INSERT INTO city_messages (object_uri, actor, actor_name, kind, title, content_html,"
            " urgent, pinned, expires_at, published_at, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                object_uri,
                actor,
                actor_name,
                kind,
                title,
                content_html,
                int(urgent),
                int(pinned),
                expires_at,
                published_at,
                document,
            ),
        )
        message_id = cur.lastrowid
    else:
        message_id = row["id"]
        conn.execute(
            "UPDATE city_messages SET actor_name = ?, kind = ?, title = ?, content_html = ?,"
            " urgent = ?, pinned = ?, expires_at = ?, updated_at = ?, document = ? WHERE id = ?",
            (
                actor_name,
                kind,
                title,
                content_html,
                int(urgent),
                int(pinned),
                expires_at,
                now,
                document,
                message_id,
            ),
        )
        conn.execute("DELETE FROM city_message_targets WHERE message_id = ?", (message_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO city_message_targets (message_id, neighbourhood_id) VALUES (?, ?)",
        [(message_id, n) for n in neighbourhood_ids],
    )
    return True


def withdraw_city_message(conn: sqlite3.Connection, object_uri: str, actor: str, now: int) -> bool:
    cur = conn.execute(
        "UPDATE city_messages SET withdrawn_at = ? WHERE object_uri = ? AND actor = ?",
        (now, object_uri, actor),
    )
    return cur.rowcount > 0


def get_city_message_actor(conn: sqlite3.Connection, object_uri: str) -> str | None:
    row = conn.execute(
        "SELECT actor FROM city_messages WHERE object_uri = ?", (object_uri,)
    ).fetchone()
    return row["actor"] if row else None


def list_city_messages_for_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int, now: int, limit: int = 20
) -> list[CityMessage]:
    """Live messages for a neighbourhood: urgent first (a water cut goes above a pinned
    festival), then pinned, then newest."""
    rows = conn.execute(
        "SELECT m.* FROM city_message_targets t JOIN city_messages m ON m.id = t.message_id"
        " WHERE t.neighbourhood_id = ? AND m.withdrawn_at IS NULL"
        " AND (m.expires_at IS NULL OR m.expires_at > ?)"
        " ORDER BY m.urgent DESC, m.pinned DESC, m.published_at DESC LIMIT ?",
        (neighbourhood_id, now, limit),
    ).fetchall()
    return [_message(row) for row in rows]


def count_city_messages(conn: sqlite3.Connection, object_uri: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM city_messages WHERE object_uri = ?", (object_uri,)
    ).fetchone()[0]


def _city_object(row: sqlite3.Row) -> CityObject:
    return CityObject(
        message_id=row["id"],
        object_uri=row["object_uri"],
        actor=row["actor"],
        actor_name=row["actor_name"],
        kind=row["kind"],
        document=json.loads(row["document"]),
        published_at=row["published_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def get_city_object_for_neighbourhood(
    conn: sqlite3.Connection, message_id: int, neighbourhood_id: int, kind: str
) -> CityObject | None:
    """A city object of `kind` as a resident of the neighbourhood may see it (withdrawn too:
    the page then says so), or None if it was never sent to that neighbourhood."""
    row = conn.execute(
        "SELECT m.* FROM city_messages m JOIN city_message_targets t ON t.message_id = m.id"
        " WHERE m.id = ? AND t.neighbourhood_id = ? AND m.kind = ?",
        (message_id, neighbourhood_id, kind),
    ).fetchone()
    return _city_object(row) if row else None


def list_upcoming_city_objects_for_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int, kind: str, now: int, limit: int
) -> list[CityObject]:
    """Live city objects of `kind` sent to the neighbourhood that have not left its feed yet
    (`expires_at`: for an event, its end, or its start without one), soonest first."""
    rows = conn.execute(
        "SELECT m.* FROM city_message_targets t JOIN city_messages m ON m.id = t.message_id"
        " WHERE t.neighbourhood_id = ? AND m.kind = ? AND m.withdrawn_at IS NULL"
        " AND m.expires_at > ? ORDER BY m.expires_at LIMIT ?",
        (neighbourhood_id, kind, now, limit),
    ).fetchall()
    return [_city_object(row) for row in rows]


def get_city_object_by_uri(conn: sqlite3.Connection, object_uri: str) -> CityObject | None:
    row = conn.execute("SELECT * FROM city_messages WHERE object_uri = ?", (object_uri,)).fetchone()
    return _city_object(row) if row else None


def list_city_object_targets_of_kind(
    conn: sqlite3.Connection, kind: str
) -> list[tuple[CityObject, int]]:
    """Every live (not withdrawn) city object of `kind`, once per neighbourhood it targets:
    what report sources iterate over."""
    rows = conn.execute(
        "SELECT m.*, t.neighbourhood_id AS target FROM city_messages m"
        " JOIN city_message_targets t ON t.message_id = m.id"
        " WHERE m.kind = ? AND m.withdrawn_at IS NULL ORDER BY m.id, t.neighbourhood_id",
        (kind,),
    ).fetchall()
    return [(_city_object(row), row["target"]) for row in rows]


def get_city_object_times(conn: sqlite3.Connection, object_uri: str) -> tuple[int, Any, int] | None:
    """(city message id, the document's `endTime` as written, when it was published) of a
    city object: what a views report needs, read by SQLite's JSON functions instead of
    decoding the whole document."""
    row = conn.execute(
        "SELECT id, json_extract(document, '$.endTime'), published_at FROM city_messages"
        " WHERE object_uri = ?",
        (object_uri,),
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def get_city_message_for_neighbourhood(
    conn: sqlite3.Connection, message_id: int, neighbourhood_id: int
) -> CityMessage | None:
    """A live city message sent to the neighbourhood, as its residents read it."""
    row = conn.execute(
        "SELECT m.* FROM city_messages m JOIN city_message_targets t ON t.message_id = m.id"
        " WHERE m.id = ? AND t.neighbourhood_id = ? AND m.withdrawn_at IS NULL",
        (message_id, neighbourhood_id),
    ).fetchone()
    return _message(row) if row else None
