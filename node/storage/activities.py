"""SQL for what this node sends: its signed activities, published objects and the delivery
queue (one row per activity and destination inbox)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from node.models.federation import Delivery, DueDelivery


def put_activity(
    conn: sqlite3.Connection,
    uri: str,
    type: str,
    actor: str,
    object_uri: str | None,
    document: str,
    public: bool,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO activities (uri, type, actor, object_uri, document, public, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (uri, type, actor, object_uri, document, int(public), now),
    )
    return cur.lastrowid  # type: ignore[return-value]


def get_activity_document(conn: sqlite3.Connection, uri: str) -> tuple[str, bool] | None:
    row = conn.execute("SELECT document, public FROM activities WHERE uri = ?", (uri,)).fetchone()
    return (row["document"], bool(row["public"])) if row else None


def list_public_activities(conn: sqlite3.Connection, actor: str, limit: int = 20) -> list[str]:
    rows = conn.execute(
        "SELECT document FROM activities WHERE actor = ? AND public = 1 ORDER BY id DESC LIMIT ?",
        (actor, limit),
    ).fetchall()
    return [row["document"] for row in rows]


def count_public_activities(conn: sqlite3.Connection, actor: str | None = None) -> int:
    if actor is None:
        return conn.execute("SELECT count(*) FROM activities WHERE public = 1").fetchone()[0]
    return conn.execute(
        "SELECT count(*) FROM activities WHERE public = 1 AND actor = ?", (actor,)
    ).fetchone()[0]


def put_federated_object(
    conn: sqlite3.Connection,
    uri: str,
    type: str,
    source: str,
    source_id: int,
    document: str,
    public: bool,
) -> None:
    conn.execute(
        "INSERT INTO federated_objects (uri, type, source, source_id, document, public)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET document = excluded.document,"
        " public = excluded.public, deleted_at = NULL",
        (uri, type, source, source_id, document, int(public)),
    )


def mark_federated_object_deleted(conn: sqlite3.Connection, uri: str, now: int) -> None:
    conn.execute("UPDATE federated_objects SET deleted_at = ? WHERE uri = ?", (now, uri))


def get_federated_object(conn: sqlite3.Connection, uri: str) -> tuple[str, str, bool] | None:
    """(document, source, public) of a live published object."""
    row = conn.execute(
        "SELECT document, source, public FROM federated_objects"
        " WHERE uri = ? AND deleted_at IS NULL",
        (uri,),
    ).fetchone()
    return (row["document"], row["source"], bool(row["public"])) if row else None


def is_published_publicly(conn: sqlite3.Connection, uri: str) -> bool:
    """Whether a live object of ours was published publicly (fediverse followers, fetches)."""
    row = conn.execute(
        "SELECT public FROM federated_objects WHERE uri = ? AND deleted_at IS NULL", (uri,)
    ).fetchone()
    return bool(row and row["public"])


def put_deliveries(
    conn: sqlite3.Connection, activity_id: int, inboxes: Iterable[tuple[str, str]], now: int
) -> int:
    """Queue the activity for each (inbox, host); an inbox already queued is not queued twice."""
    cur = conn.executemany(
        "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(activity_id, inbox, host, now, now) for inbox, host in inboxes],
    )
    return cur.rowcount


def put_deliveries_to_followers(
    conn: sqlite3.Connection,
    activity_id: int,
    local_actor: str,
    *,
    targets_of: str | None,
    public: bool,
    now: int,
) -> int:
    """Queue the activity for the accepted followers of `local_actor` that are among the
    targets of the city object `targets_of`, and, when `public`, for every follower that is
    not a neighbourhood (a Mastodon account): one delivery per distinct inbox, a server's
    shared inbox when it has one. Chosen in SQL, so no follower becomes a Python object."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at)"
        " SELECT ?, inbox, url_host(inbox), ?, ? FROM ("
        "  SELECT DISTINCT coalesce(nullif(a.shared_inbox, ''), a.inbox) AS inbox"
        "  FROM follows f JOIN remote_actors a ON a.uri = f.remote_actor"
        "  WHERE f.direction = 'inbound' AND f.state = 'accepted' AND f.local_actor = ?"
        "  AND (f.remote_actor IN"
        "    (SELECT target FROM city_object_targets WHERE object_uri = ?)"
        "   OR (? AND a.type != 'Group'))"
        "  ORDER BY inbox)",
        (activity_id, now, now, local_actor, targets_of, int(public)),
    )
    return cur.rowcount


def list_due_deliveries(conn: sqlite3.Connection, now: int, limit: int) -> list[DueDelivery]:
    """Deliveries that may go now, oldest first. Each inbox gets its activities in the order
    they were queued: one waits while an older one to the same inbox waits for its retry."""
    rows = conn.execute(
        "WITH waiting AS (SELECT inbox, min(id) AS first FROM deliveries"
        "  WHERE state = 'pending' AND next_attempt_at > ? GROUP BY inbox)"
        " SELECT d.id, d.inbox, d.host, d.attempts, d.created_at, d.activity_id, a.uri, a.actor"
        # The pending index, or SQLite walks every delivery ever made in id order.
        " FROM deliveries d INDEXED BY deliveries_due JOIN activities a ON a.id = d.activity_id"
        " LEFT JOIN waiting w ON w.inbox = d.inbox"
        " WHERE d.state = 'pending' AND d.next_attempt_at <= ?"
        " AND (w.first IS NULL OR d.id < w.first)"
        " ORDER BY d.id LIMIT ?",
        (now, now, limit),
    ).fetchall()
    # Each activity's bytes are read once and shared by its deliveries: a fan-out's batch of
    # 500 rows would otherwise hold 500 copies of the same document.
    bodies = {
        row[0]: row[1].encode()
        for row in conn.execute(
            "SELECT id, document FROM activities WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted({row["activity_id"] for row in rows})),),
        )
    }
    return [
        DueDelivery(
            id=row["id"],
            inbox=row["inbox"],
            host=row["host"],
            attempts=row["attempts"],
            created_at=row["created_at"],
            activity_uri=row["uri"],
            actor=row["actor"],
            body=bodies[row["activity_id"]],
        )
        for row in rows
    ]


def next_due_time(conn: sqlite3.Connection) -> int | None:
    """When the next delivery may go: the soonest retry of an inbox's oldest pending
    delivery (the others to that inbox go after it)."""
    row = conn.execute(
        "SELECT min(d.next_attempt_at) FROM deliveries d JOIN"
        " (SELECT min(id) AS id FROM deliveries WHERE state = 'pending' GROUP BY inbox) f"
        " ON f.id = d.id"
    ).fetchone()
    return row[0]


def mark_delivered(conn: sqlite3.Connection, ids: list[int], status: int, now: int) -> None:
    conn.executemany(
        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?,"
        " last_error = NULL, finished_at = ? WHERE id = ?",
        [(status, now, delivery_id) for delivery_id in ids],
    )


def mark_failed(
    conn: sqlite3.Connection,
    delivery_id: int,
    status: int | None,
    error: str,
    next_attempt_at: int | None,
    now: int,
) -> None:
    """Schedule a retry at `next_attempt_at`, or give up (dead letter) when it is None."""
    if next_attempt_at is None:
        conn.execute(
            "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?,"
            " last_error = ?, finished_at = ? WHERE id = ?",
            (status, error[:500], now, delivery_id),
        )
    else:
        conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?,"
            " next_attempt_at = ? WHERE id = ?",
            (status, error[:500], next_attempt_at, delivery_id),
        )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        activity_id=row["activity_id"],
        activity_uri=row["uri"],
        activity_type=row["type"],
        inbox=row["inbox"],
        host=row["host"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def list_deliveries_by_state(
    conn: sqlite3.Connection, state: str, limit: int = 200
) -> list[Delivery]:
    rows = conn.execute(
        "SELECT d.*, a.uri, a.type FROM deliveries d JOIN activities a ON a.id = d.activity_id"
        " WHERE d.state = ? ORDER BY d.id DESC LIMIT ?",
        (state, limit),
    ).fetchall()
    return [_delivery(row) for row in rows]


def count_deliveries_by_state(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
    return {row[0]: row[1] for row in rows}


def retry_dead_delivery(conn: sqlite3.Connection, delivery_id: int, now: int) -> bool:
    """Queue a dead letter again, as if it were new: due now, with the whole give-up window
    and backoff of a new delivery (counted from its creation, a dead letter's window is
    over, so it would die again after one attempt)."""
    cur = conn.execute(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, created_at = ?,"
        " attempts = 0, finished_at = NULL WHERE id = ? AND state = 'dead'",
        (now, now, delivery_id),
    )
    return cur.rowcount > 0
