"""SQL for the durable inbox queue: accepted activities waiting to be processed."""

from __future__ import annotations

import sqlite3

from node.models.federation import InboxItem


def put_inbox_item(
    conn: sqlite3.Connection, activity_uri: str, actor: str, type: str, document: str, now: int
) -> bool:
    """Store an accepted activity; False when its id was already received (a duplicate)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO inbox_items (activity_uri, actor, type, document, received_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (activity_uri, actor, type, document, now),
    )
    return cur.rowcount == 1


def inbox_item_exists(conn: sqlite3.Connection, activity_uri: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM inbox_items WHERE activity_uri = ?", (activity_uri,)
    ).fetchone()
    return row is not None


def list_unprocessed_inbox_items(conn: sqlite3.Connection, limit: int) -> list[InboxItem]:
    rows = conn.execute(
        "SELECT * FROM inbox_items WHERE processed_at IS NULL ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [
        InboxItem(
            r["id"], r["activity_uri"], r["actor"], r["type"], r["document"], r["received_at"]
        )
        for r in rows
    ]


def mark_inbox_items_processed(
    conn: sqlite3.Connection, outcomes: list[tuple[int, str | None]], now: int
) -> None:
    """Mark items processed, each with the error that stopped it (None when it went well)."""
    conn.executemany(
        "UPDATE inbox_items SET processed_at = ?, error = ? WHERE id = ?",
        [(now, error, item_id) for item_id, error in outcomes],
    )


def count_inbox_items(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM inbox_items").fetchone()[0]
