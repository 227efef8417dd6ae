"""SQL for residents' events: details of event posts, RSVPs, and calendar feed tokens."""

from __future__ import annotations

import sqlite3

from node.models import User
from node.models.posts import PostEvent, RsvpAnswer, RsvpSummary, UpcomingEvent
from node.storage.posts import VISIBLE_TO_VIEWER, excerpt_of
from node.storage.users import _user


def put_post_event(conn: sqlite3.Connection, post_id: int, event: PostEvent) -> None:
    """Set the event details of a post (replacing earlier ones)."""
    conn.execute(
        "INSERT INTO post_events (post_id, starts_at, ends_at, location) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (post_id) DO UPDATE SET starts_at = excluded.starts_at,"
        " ends_at = excluded.ends_at, location = excluded.location",
        (post_id, event.starts_at, event.ends_at, event.location),
    )


def delete_post_event(conn: sqlite3.Connection, post_id: int) -> None:
    conn.execute("DELETE FROM post_events WHERE post_id = ?", (post_id,))


def list_events_by_neighbourhood(
    conn: sqlite3.Connection,
    viewer_neighbourhood_id: int,
    ending_after: int,
    limit: int,
    started_within: int = 30 * 86_400,
) -> list[UpcomingEvent]:
    """Events a resident may see that have not ended before `ending_after`, soonest first.

    The index on starts_at bounds the walk: events that started more than `started_within`
    seconds before `ending_after` are not looked at (long-running events are rare).
    """
    rows = conn.execute(
        f"""
        SELECT p.id, p.neighbourhood_id, n.name AS neighbourhood_name, p.title,
               substr(p.body, 1, 400) AS body_head, e.starts_at, e.ends_at, e.location,
               (SELECT count(*) FROM rsvps r WHERE r.post_id = p.id AND r.answer = 'going')
                   AS going,
               (SELECT count(*) FROM rsvps r WHERE r.post_id = p.id AND r.answer = 'maybe')
                   AS maybe
        FROM post_events e
        JOIN posts p ON p.id = e.post_id
        JOIN neighbourhoods n ON n.id = p.neighbourhood_id
        WHERE e.starts_at >= :window_start
          AND coalesce(e.ends_at, e.starts_at) >= :ending_after
          AND {VISIBLE_TO_VIEWER}
        ORDER BY e.starts_at, p.id
        LIMIT :limit
        """,
        {
            "window_start": ending_after - started_within,
            "ending_after": ending_after,
            "viewer_n": viewer_neighbourhood_id,
            "limit": limit,
        },
    ).fetchall()
    return [
        UpcomingEvent(
            post_id=row["id"],
            neighbourhood_id=row["neighbourhood_id"],
            neighbourhood_name=row["neighbourhood_name"],
            title=row["title"],
            excerpt=excerpt_of(row["body_head"]),
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            location=row["location"],
            going=row["going"],
            maybe=row["maybe"],
        )
        for row in rows
    ]


def toggle_rsvp(
    conn: sqlite3.Connection, post_id: int, user_id: int, answer: RsvpAnswer, now: int
) -> RsvpAnswer | None:
    """Give this answer, or take it back when it was already given; return the answer now."""
    row = conn.execute(
        "SELECT answer FROM rsvps WHERE post_id = ? AND user_id = ?", (post_id, user_id)
    ).fetchone()
    if row is not None and row[0] == answer.value:
        conn.execute("DELETE FROM rsvps WHERE post_id = ? AND user_id = ?", (post_id, user_id))
        return None
    conn.execute(
        "INSERT INTO rsvps (post_id, user_id, answer, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (post_id, user_id) DO UPDATE SET answer = excluded.answer,"
        " created_at = excluded.created_at",
        (post_id, user_id, answer.value, now),
    )
    return answer


def get_rsvp_summary_by_post(conn: sqlite3.Connection, post_id: int, user_id: int) -> RsvpSummary:
    """Counts, the viewer's own answer, and the names of neighbours going."""
    rows = conn.execute(
        "SELECT r.user_id, r.answer, u.display_name FROM rsvps r"
        " JOIN users u ON u.id = r.user_id WHERE r.post_id = ? AND u.status = 'active'"
        " ORDER BY r.created_at, r.user_id",
        (post_id,),
    ).fetchall()
    mine = next((RsvpAnswer(row[1]) for row in rows if row[0] == user_id), None)
    going = tuple(row[2] for row in rows if row[1] == "going")
    maybe = sum(1 for row in rows if row[1] == "maybe")
    return RsvpSummary(going=len(going), maybe=maybe, mine=mine, going_names=going)


def put_calendar_token(conn: sqlite3.Connection, user_id: int, token_hash: str, now: int) -> None:
    """Give the user a (new) calendar feed secret; an earlier one stops working."""
    conn.execute(
        "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,"
        " created_at = excluded.created_at",
        (user_id, token_hash, now),
    )


def delete_calendar_token(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM calendar_tokens WHERE user_id = ?", (user_id,))


def get_calendar_token_created_at(conn: sqlite3.Connection, user_id: int) -> int | None:
    row = conn.execute(
        "SELECT created_at FROM calendar_tokens WHERE user_id = ?", (user_id,)
    ).fetchone()
    return row[0] if row else None


def get_user_by_calendar_token(conn: sqlite3.Connection, token_hash: str) -> User | None:
    row = conn.execute(
        "SELECT u.* FROM calendar_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
        (token_hash,),
    ).fetchone()
    return _user(row) if row else None
