"""SQL for small named facts a node keeps about itself."""

from __future__ import annotations

import sqlite3


def get_node_state(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM node_state WHERE name = ?", (name,)).fetchone()
    return row["value"] if row else None


def put_node_state(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute(
        "INSERT INTO node_state (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )
