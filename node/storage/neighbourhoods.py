"""SQL for neighbourhoods."""

from __future__ import annotations

import sqlite3

from node.models import Neighbourhood, NeighbourhoodSummary


def _neighbourhood(row: sqlite3.Row) -> Neighbourhood:
    return Neighbourhood(
        id=row["id"], slug=row["slug"], name=row["name"], created_at=row["created_at"]
    )


def put_neighbourhood(conn: sqlite3.Connection, slug: str, name: str, now: int) -> Neighbourhood:
    cur = conn.execute(
        "INSERT INTO neighbourhoods (slug, name, created_at) VALUES (?, ?, ?)", (slug, name, now)
    )
    return Neighbourhood(id=cur.lastrowid, slug=slug, name=name, created_at=now)


def get_neighbourhood_by_id(conn: sqlite3.Connection, id: int) -> Neighbourhood | None:
    row = conn.execute("SELECT * FROM neighbourhoods WHERE id = ?", (id,)).fetchone()
    return _neighbourhood(row) if row else None


def get_neighbourhood_by_slug(conn: sqlite3.Connection, slug: str) -> Neighbourhood | None:
    row = conn.execute("SELECT * FROM neighbourhoods WHERE slug = ?", (slug,)).fetchone()
    return _neighbourhood(row) if row else None


def list_neighbourhoods(conn: sqlite3.Connection) -> list[Neighbourhood]:
    rows = conn.execute("SELECT * FROM neighbourhoods ORDER BY name COLLATE NOCASE").fetchall()
    return [_neighbourhood(row) for row in rows]


def list_neighbourhood_summaries(conn: sqlite3.Connection) -> list[NeighbourhoodSummary]:
    rows = conn.execute(
        """
        SELECT n.*,
               (SELECT count(*) FROM households h WHERE h.neighbourhood_id = n.id) AS households,
               (SELECT count(*) FROM users u
                 WHERE u.neighbourhood_id = n.id AND u.status = 'active') AS residents
        FROM neighbourhoods n ORDER BY n.name COLLATE NOCASE
        """
    ).fetchall()
    return [
        NeighbourhoodSummary(_neighbourhood(row), row["households"], row["residents"])
        for row in rows
    ]


def slugs_to_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return {row["slug"]: row["id"] for row in conn.execute("SELECT id, slug FROM neighbourhoods")}


def count_neighbourhoods(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM neighbourhoods").fetchone()[0]
