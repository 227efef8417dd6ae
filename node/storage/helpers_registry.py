"""SQL for helpers (skills offered to neighbours) and volunteers (the city may call on them)."""

from __future__ import annotations

import sqlite3

from node.models.community import HelperListing, HelperProfile

_ACTIVE_RESIDENT = "u.status = 'active' AND u.role IN ('resident', 'moderator')"


def get_helper_profile_by_user(conn: sqlite3.Connection, user_id: int) -> HelperProfile:
    row = conn.execute(
        "SELECT note, volunteer FROM helpers WHERE user_id = ?", (user_id,)
    ).fetchone()
    if row is None:
        return HelperProfile(registered=False, skills=(), note="", volunteer=False)
    skills = conn.execute(
        "SELECT skill FROM helper_skills WHERE user_id = ? ORDER BY skill", (user_id,)
    ).fetchall()
    return HelperProfile(
        registered=True,
        skills=tuple(s["skill"] for s in skills),
        note=row["note"],
        volunteer=bool(row["volunteer"]),
    )


def put_helper(
    conn: sqlite3.Connection,
    user_id: int,
    skills: tuple[str, ...],
    note: str,
    volunteer: bool,
    now: int,
) -> None:
    """Register or update a helper, replacing their skills."""
    conn.execute(
        "INSERT INTO helpers (user_id, note, volunteer, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET note = excluded.note,"
        " volunteer = excluded.volunteer, updated_at = excluded.updated_at",
        (user_id, note, int(volunteer), now, now),
    )
    conn.execute("DELETE FROM helper_skills WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO helper_skills (user_id, skill) VALUES (?, ?)",
        [(user_id, skill) for skill in skills],
    )


def delete_helper(conn: sqlite3.Connection, user_id: int) -> None:
    """Stop helping and volunteering; the skills go with the row (ON DELETE CASCADE)."""
    conn.execute("DELETE FROM helpers WHERE user_id = ?", (user_id,))


def list_helpers_by_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int, skill: str | None = None
) -> list[HelperListing]:
    """Helpers of one neighbourhood offering at least one skill (or `skill`), by name."""
    rows = conn.execute(
        "SELECT u.id, u.display_name, h.note,"
        " (SELECT group_concat(s.skill, ' ') FROM helper_skills s WHERE s.user_id = u.id)"
        "   AS skills"
        " FROM helpers h JOIN users u ON u.id = h.user_id"
        f" WHERE u.neighbourhood_id = ? AND {_ACTIVE_RESIDENT}"
        " AND EXISTS (SELECT 1 FROM helper_skills s WHERE s.user_id = u.id"
        "   AND (? IS NULL OR s.skill = ?))"
        " ORDER BY u.display_name COLLATE NOCASE, u.id",
        (neighbourhood_id, skill, skill),
    ).fetchall()
    return [
        HelperListing(
            user_id=row["id"],
            display_name=row["display_name"],
            skills=tuple(sorted(row["skills"].split())),
            note=row["note"],
        )
        for row in rows
    ]


def list_volunteer_ids_by_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int
) -> list[int]:
    """Active residents of a neighbourhood who said the city may call on them."""
    rows = conn.execute(
        "SELECT u.id FROM helpers h JOIN users u ON u.id = h.user_id"
        f" WHERE h.volunteer = 1 AND u.neighbourhood_id = ? AND {_ACTIVE_RESIDENT}"
        " ORDER BY u.id",
        (neighbourhood_id,),
    ).fetchall()
    return [row["id"] for row in rows]


def count_volunteers_by_neighbourhood(conn: sqlite3.Connection, neighbourhood_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM helpers h JOIN users u ON u.id = h.user_id"
        f" WHERE h.volunteer = 1 AND u.neighbourhood_id = ? AND {_ACTIVE_RESIDENT}",
        (neighbourhood_id,),
    ).fetchone()[0]
