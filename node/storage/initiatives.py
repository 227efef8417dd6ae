"""SQL for citizen initiatives: the neighbourhood's side (initiatives and who supports them)
and the city's side (what reached the city: text and a count, never a supporter)."""

from __future__ import annotations

import sqlite3

from node.models.initiatives import CityInitiative, Initiative

# -- the neighbourhood's side -------------------------------------------------------------------

_INITIATIVE_SELECT = (
    "SELECT i.*, (SELECT count(*) FROM initiative_supports s WHERE s.initiative_id = i.id)"
    " AS supporters FROM initiatives i"
)


def _initiative(row: sqlite3.Row) -> Initiative:
    return Initiative(
        id=row["id"],
        object_uri=row["object_uri"],
        neighbourhood_id=row["neighbourhood_id"],
        author_id=row["author_id"],
        title=row["title"],
        body=row["body"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        answer_html=row["answer_html"],
        answered_at=row["answered_at"],
        withdrawn_at=row["withdrawn_at"],
        supporters=row["supporters"],
    )


def put_initiative(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    neighbourhood_id: int,
    author_id: int,
    title: str,
    body: str,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO initiatives (object_uri, neighbourhood_id, author_id, title, body,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (object_uri, neighbourhood_id, author_id, title, body, now),
    )
    return int(cur.lastrowid or 0)


def get_initiative_by_id(conn: sqlite3.Connection, initiative_id: int) -> Initiative | None:
    row = conn.execute(f"{_INITIATIVE_SELECT} WHERE i.id = ?", (initiative_id,)).fetchone()
    return _initiative(row) if row else None


def get_initiative_by_uri(conn: sqlite3.Connection, object_uri: str) -> Initiative | None:
    row = conn.execute(f"{_INITIATIVE_SELECT} WHERE i.object_uri = ?", (object_uri,)).fetchone()
    return _initiative(row) if row else None


def list_initiatives_by_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int, limit: int = 200
) -> list[Initiative]:
    """The neighbourhood's initiatives, newest first; withdrawn ones are gone from the list."""
    rows = conn.execute(
        f"{_INITIATIVE_SELECT} WHERE i.neighbourhood_id = ? AND i.withdrawn_at IS NULL"
        " ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
        (neighbourhood_id, limit),
    ).fetchall()
    return [_initiative(r) for r in rows]


def list_supported_initiative_ids(
    conn: sqlite3.Connection, user_id: int, initiative_ids: list[int]
) -> set[int]:
    if not initiative_ids:
        return set()
    marks = ",".join("?" * len(initiative_ids))
    rows = conn.execute(
        f"SELECT initiative_id FROM initiative_supports WHERE user_id = ?"
        f" AND initiative_id IN ({marks})",
        (user_id, *initiative_ids),
    ).fetchall()
    return {row[0] for row in rows}


def put_initiative_support(
    conn: sqlite3.Connection, initiative_id: int, user_id: int, now: int
) -> bool:
    """True when the support is new."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO initiative_supports (initiative_id, user_id, created_at)"
        " VALUES (?, ?, ?)",
        (initiative_id, user_id, now),
    )
    return cur.rowcount > 0


def delete_initiative_support(conn: sqlite3.Connection, initiative_id: int, user_id: int) -> bool:
    cur = conn.execute(
        "DELETE FROM initiative_supports WHERE initiative_id = ? AND user_id = ?",
        (initiative_id, user_id),
    )
    return cur.rowcount > 0


def update_initiative_sent(conn: sqlite3.Connection, initiative_id: int, now: int) -> None:
    conn.execute(
        "UPDATE initiatives SET sent_at = ? WHERE id = ? AND sent_at IS NULL", (now, initiative_id)
    )


def update_initiative_withdrawn(conn: sqlite3.Connection, initiative_id: int, now: int) -> bool:
    """Only an initiative not yet sent may be withdrawn."""
    cur = conn.execute(
        "UPDATE initiatives SET withdrawn_at = ?"
        " WHERE id = ? AND sent_at IS NULL AND withdrawn_at IS NULL",
        (now, initiative_id),
    )
    return cur.rowcount > 0


def update_initiative_answer(
    conn: sqlite3.Connection, object_uri: str, answer_html: str, now: int
) -> bool:
    cur = conn.execute(
        "UPDATE initiatives SET answer_html = ?, answered_at = ?"
        " WHERE object_uri = ? AND sent_at IS NOT NULL AND withdrawn_at IS NULL",
        (answer_html, now, object_uri),
    )
    return cur.rowcount > 0


# -- the city's side ----------------------------------------------------------------------------


def _city_initiative(row: sqlite3.Row) -> CityInitiative:
    return CityInitiative(
        id=row["id"],
        object_uri=row["object_uri"],
        neighbourhood_uri=row["neighbourhood_uri"],
        neighbourhood_name=row["neighbourhood_name"],
        title=row["title"],
        body_html=row["body_html"],
        supporters=row["supporters"],
        received_at=row["received_at"],
        updated_at=row["updated_at"],
        answer_html=row["answer"],
        answered_at=row["answered_at"],
    )


def put_city_initiative(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    neighbourhood_uri: str,
    neighbourhood_name: str,
    title: str,
    body_html: str,
    supporters: int,
    now: int,
) -> bool:
    """Record an initiative or its new count. Only the neighbourhood that sent it first may
    change it (an id is never taken over by another sender). True if stored."""
    cur = conn.execute(
        "INSERT INTO city_initiatives (object_uri, neighbourhood_uri, neighbourhood_name, title,"
        " body_html, supporters, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (object_uri) DO UPDATE SET neighbourhood_name = excluded.neighbourhood_name,"
        " title = excluded.title, body_html = excluded.body_html,"
        " supporters = excluded.supporters, updated_at = excluded.updated_at"
        " WHERE city_initiatives.neighbourhood_uri = excluded.neighbourhood_uri",
        (object_uri, neighbourhood_uri, neighbourhood_name, title, body_html, supporters, now, now),
    )
    return cur.rowcount > 0


def get_city_initiative_by_id(conn: sqlite3.Connection, city_id: int) -> CityInitiative | None:
    row = conn.execute("SELECT * FROM city_initiatives WHERE id = ?", (city_id,)).fetchone()
    return _city_initiative(row) if row else None


def list_city_initiatives(conn: sqlite3.Connection, limit: int = 500) -> list[CityInitiative]:
    """Waiting for an answer first, then the most recently received."""
    rows = conn.execute(
        "SELECT * FROM city_initiatives"
        " ORDER BY answered_at IS NOT NULL, received_at DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_city_initiative(r) for r in rows]


def update_city_initiative_answer(
    conn: sqlite3.Connection, city_id: int, answer_html: str, answered_by: int, now: int
) -> bool:
    """The city answers once; True when this was the answer."""
    cur = conn.execute(
        "UPDATE city_initiatives SET answer = ?, answered_at = ?, answered_by = ?"
        " WHERE id = ? AND answered_at IS NULL",
        (answer_html, now, answered_by, city_id),
    )
    return cur.rowcount > 0
