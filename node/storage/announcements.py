"""SQL for the city's own announcements (on the city's node)."""

from __future__ import annotations

import sqlite3

from node.models.federation import Announcement


def put_announcement(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    title: str,
    body: str,
    body_html: str,
    urgent: bool,
    pinned: bool,
    expires_at: int | None,
    all_neighbourhoods: bool,
    created_by: int | None,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO announcements (object_uri, title, body, body_html, urgent, pinned,"
        " expires_at, all_neighbourhoods, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            object_uri,
            title,
            body,
            body_html,
            int(urgent),
            int(pinned),
            expires_at,
            int(all_neighbourhoods),
            created_by,
            now,
        ),
    )
    announcement_id = cur.lastrowid
    # Its targets are the city object's, recorded just before by the publishing transaction.
    conn.execute(
        "INSERT INTO announcement_targets (announcement_id, target)"
        " SELECT ?, target FROM city_object_targets WHERE object_uri = ?",
        (announcement_id, object_uri),
    )
    return announcement_id  # type: ignore[return-value]


def update_announcement(
    conn: sqlite3.Connection,
    announcement_id: int,
    *,
    title: str,
    body: str,
    body_html: str,
    urgent: bool,
    pinned: bool,
    expires_at: int | None,
    now: int,
) -> None:
    conn.execute(
        "UPDATE announcements SET title = ?, body = ?, body_html = ?, urgent = ?, pinned = ?,"
        " expires_at = ?, updated_at = ? WHERE id = ?",
        (title, body, body_html, int(urgent), int(pinned), expires_at, now, announcement_id),
    )


def withdraw_announcement(conn: sqlite3.Connection, announcement_id: int, now: int) -> None:
    conn.execute("UPDATE announcements SET withdrawn_at = ? WHERE id = ?", (now, announcement_id))


def _announcement(row: sqlite3.Row, targets: tuple[str, ...]) -> Announcement:
    return Announcement(
        id=row["id"],
        object_uri=row["object_uri"],
        title=row["title"],
        body=row["body"],
        body_html=row["body_html"],
        urgent=bool(row["urgent"]),
        pinned=bool(row["pinned"]),
        expires_at=row["expires_at"],
        all_neighbourhoods=bool(row["all_neighbourhoods"]),
        targets=targets,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def _targets(conn: sqlite3.Connection, announcement_id: int) -> tuple[str, ...]:
    rows = conn.execute(
        "SELECT target FROM announcement_targets WHERE announcement_id = ? ORDER BY target",
        (announcement_id,),
    ).fetchall()
    return tuple(row[0] for row in rows)


def get_announcement_by_id(conn: sqlite3.Connection, announcement_id: int) -> Announcement | None:
    row = conn.execute("SELECT * FROM announcements WHERE id = ?", (announcement_id,)).fetchone()
    return _announcement(row, _targets(conn, row["id"])) if row else None


def list_announcements(conn: sqlite3.Connection, limit: int = 100) -> list[Announcement]:
    rows = conn.execute("SELECT * FROM announcements ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_announcement(row, _targets(conn, row["id"])) for row in rows]


def get_announcement_by_object_uri(
    conn: sqlite3.Connection, object_uri: str
) -> Announcement | None:
    row = conn.execute("SELECT * FROM announcements WHERE object_uri = ?", (object_uri,)).fetchone()
    return _announcement(row, _targets(conn, row["id"])) if row else None
