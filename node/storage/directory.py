"""SQL for the opt-in neighbour directory (a row in directory_entries = listed)."""

from __future__ import annotations

import sqlite3

from node.models.community import DirectoryListing, DirectorySettings


def get_directory_settings_by_user(conn: sqlite3.Connection, user_id: int) -> DirectorySettings:
    row = conn.execute("SELECT * FROM directory_entries WHERE user_id = ?", (user_id,)).fetchone()
    if row is None:
        return DirectorySettings(
            listed=False, bio="", show_bio=True, show_street=False, show_skills=False
        )
    return DirectorySettings(
        listed=True,
        bio=row["bio"],
        show_bio=bool(row["show_bio"]),
        show_street=bool(row["show_street"]),
        show_skills=bool(row["show_skills"]),
    )


def put_directory_entry(
    conn: sqlite3.Connection, user_id: int, settings: DirectorySettings, now: int
) -> None:
    conn.execute(
        "INSERT INTO directory_entries (user_id, bio, show_street, show_bio, show_skills,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET bio = excluded.bio,"
        " show_street = excluded.show_street, show_bio = excluded.show_bio,"
        " show_skills = excluded.show_skills, updated_at = excluded.updated_at",
        (
            user_id,
            settings.bio,
            int(settings.show_street),
            int(settings.show_bio),
            int(settings.show_skills),
            now,
        ),
    )


def delete_directory_entry(conn: sqlite3.Connection, user_id: int) -> None:
    """Leaving the directory forgets what was in it, bio included."""
    conn.execute("DELETE FROM directory_entries WHERE user_id = ?", (user_id,))


def list_directory_listings_by_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int
) -> list[DirectoryListing]:
    """Listed active residents of one neighbourhood, each with only the fields they chose.

    The choice is applied here, in SQL, so a field someone keeps private never leaves the
    database: the street (never the house number) and the skills come back NULL otherwise.
    """
    rows = conn.execute(
        "SELECT u.id, u.display_name,"
        " CASE WHEN d.show_bio = 1 AND d.bio != '' THEN d.bio END AS bio,"
        " CASE WHEN d.show_street = 1 THEN h.street END AS street,"
        " CASE WHEN d.show_skills = 1 THEN"
        "   (SELECT group_concat(s.skill, ' ') FROM helper_skills s WHERE s.user_id = u.id)"
        " END AS skills"
        " FROM directory_entries d JOIN users u ON u.id = d.user_id"
        " LEFT JOIN households h ON h.id = u.household_id"
        " WHERE u.neighbourhood_id = ? AND u.status = 'active'"
        " AND u.role IN ('resident', 'moderator')"
        " ORDER BY u.display_name COLLATE NOCASE, u.id",
        (neighbourhood_id,),
    ).fetchall()
    return [
        DirectoryListing(
            user_id=row["id"],
            display_name=row["display_name"],
            bio=row["bio"],
            street=row["street"],
            skills=tuple(sorted(row["skills"].split())) if row["skills"] else (),
        )
        for row in rows
    ]
