"""SQL for statistics: a neighbourhood's counts (its home node) and survey titles (the city).

Counts only: every query here aggregates, none returns a row about a person or a post.
"""

from __future__ import annotations

import sqlite3

from node.models.statistics import MonthlyActivity, MonthRange, NeighbourhoodActivity

# Accounts that make a household "registered": people living there, not staff.
_RESIDENT_ROLES = "('resident', 'moderator')"


def _months_cte(months: list[MonthRange]) -> tuple[str, list]:
    """A `months(key, start_at, end_at)` table to join against: the month boundaries were
    worked out in the node's time zone, which SQLite cannot do itself."""
    rows = ", ".join("(?, ?, ?)" for _ in months)
    params: list = []
    for month in months:
        params += [month.key, month.start, month.end]
    return f"WITH months(key, start_at, end_at) AS (VALUES {rows}) ", params


def _per_month(
    conn: sqlite3.Connection, sql: str, months: list[MonthRange], params: list
) -> dict[str, sqlite3.Row]:
    cte, cte_params = _months_cte(months)
    return {row[0]: row for row in conn.execute(cte + sql, cte_params + params)}


def get_neighbourhood_activity(
    conn: sqlite3.Connection, neighbourhood_id: int, months: list[MonthRange]
) -> NeighbourhoodActivity:
    """Every figure of one neighbourhood's statistics report. Visible content only: a
    deleted or moderated post is not part of the neighbourhood's life."""
    households_in_register = conn.execute(
        "SELECT count(*) FROM households WHERE neighbourhood_id = ?", (neighbourhood_id,)
    ).fetchone()[0]
    households_registered = conn.execute(
        "SELECT count(DISTINCT u.household_id) FROM users u"
        " JOIN households h ON h.id = u.household_id"
        f" WHERE h.neighbourhood_id = ? AND u.status = 'active' AND u.role IN {_RESIDENT_ROLES}",
        (neighbourhood_id,),
    ).fetchone()[0]
    residents = conn.execute(
        "SELECT count(*) FROM users"
        f" WHERE neighbourhood_id = ? AND status = 'active' AND role IN {_RESIDENT_ROLES}",
        (neighbourhood_id,),
    ).fetchone()[0]
    # No timestamp is kept with a view (it would make the table a reading log), so the
    # views are an all-time total.
    city_message_views = conn.execute(
        "SELECT count(*) FROM city_message_views WHERE neighbourhood_id = ?", (neighbourhood_id,)
    ).fetchone()[0]
    if not months:
        return NeighbourhoodActivity(
            households_in_register, households_registered, residents, city_message_views
        )
    posts = _per_month(
        conn,
        "SELECT m.key, count(p.id),"
        " coalesce(sum(p.category = 'help_request'), 0),"
        " coalesce(sum(p.category = 'help_request' AND p.resolved_at IS NOT NULL), 0)"
        " FROM months m LEFT JOIN posts p ON p.neighbourhood_id = ? AND p.status = 'visible'"
        " AND p.created_at >= m.start_at AND p.created_at < m.end_at GROUP BY m.key",
        months,
        [neighbourhood_id],
    )
    comments = _per_month(
        conn,
        "SELECT m.key, count(c.id) FROM months m"
        " LEFT JOIN comments c ON c.status = 'visible'"
        " AND c.created_at >= m.start_at AND c.created_at < m.end_at"
        " AND c.post_id IN (SELECT id FROM posts WHERE neighbourhood_id = ? AND status = 'visible')"
        " GROUP BY m.key",
        months,
        [neighbourhood_id],
    )
    reactions = _per_month(
        conn,
        "SELECT m.key, count(r.post_id) FROM months m"
        " LEFT JOIN reactions r ON r.created_at >= m.start_at AND r.created_at < m.end_at"
        " AND r.post_id IN (SELECT id FROM posts WHERE neighbourhood_id = ? AND status = 'visible')"
        " GROUP BY m.key",
        months,
        [neighbourhood_id],
    )
    return NeighbourhoodActivity(
        households_in_register=households_in_register,
        households_registered=households_registered,
        residents=residents,
        city_message_views=city_message_views,
        months={
            m.key: MonthlyActivity(
                posts=posts[m.key][1],
                comments=comments[m.key][1],
                reactions=reactions[m.key][1],
                help_requests=posts[m.key][2],
                help_resolved=posts[m.key][3],
            )
            for m in months
        },
    )


def list_followed_cities(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(local neighbourhood actor key "n/<slug>", city actor URI) for every accepted follow
    of a remote city by one of our neighbourhoods."""
    rows = conn.execute(
        "SELECT f.local_actor, f.remote_actor FROM follows f"
        " JOIN remote_actors a ON a.uri = f.remote_actor"
        " WHERE f.direction = 'outbound' AND f.state = 'accepted'"
        " AND a.type = 'Organization' AND f.local_actor LIKE 'n/%'"
        " ORDER BY f.local_actor, f.remote_actor"
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def list_survey_titles(conn: sqlite3.Connection) -> dict[str, str]:
    """The city's surveys by object URI: their titles label the participation figures."""
    rows = conn.execute("SELECT object_uri, title FROM surveys").fetchall()
    return {row[0]: row[1] for row in rows}
