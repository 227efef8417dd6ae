"""SQL for reactions (thanks, like, support) and for counting views without a reading log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from node.models.posts import ReactionKind

# Column of posts holding each kind's counter: a fixed mapping, never user text in SQL.
_COUNTER = {
    ReactionKind.THANKS: "thanks_count",
    ReactionKind.LIKE: "like_count",
    ReactionKind.SUPPORT: "support_count",
}


def toggle_reaction(
    conn: sqlite3.Connection, post_id: int, user_id: int, kind: ReactionKind, now: int
) -> bool:
    """Add the reaction, or take it back if it was there. True when it is now on."""
    added = conn.execute(
        "INSERT OR IGNORE INTO reactions (post_id, user_id, kind, created_at) VALUES (?, ?, ?, ?)",
        (post_id, user_id, kind.value, now),
    ).rowcount
    if not added:
        conn.execute(
            "DELETE FROM reactions WHERE post_id = ? AND user_id = ? AND kind = ?",
            (post_id, user_id, kind.value),
        )
    column = _COUNTER[kind]
    conn.execute(
        f"UPDATE posts SET {column} = max(0, {column} + ?) WHERE id = ?",
        (1 if added else -1, post_id),
    )
    return bool(added)


def list_reaction_kinds_by_user(
    conn: sqlite3.Connection, user_id: int, post_ids: Iterable[int]
) -> frozenset[tuple[int, ReactionKind]]:
    """(post id, kind) of the user's own reactions among these posts."""
    ids = list(post_ids)
    if not ids:
        return frozenset()
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT post_id, kind FROM reactions WHERE post_id IN ({marks}) AND user_id = ?",
        (*ids, user_id),
    ).fetchall()
    return frozenset((row[0], ReactionKind(row[1])) for row in rows)


def has_view_key(conn: sqlite3.Connection, post_id: int, viewer_key: bytes) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM post_view_keys WHERE post_id = ? AND viewer_key = ?",
            (post_id, viewer_key),
        ).fetchone()
        is not None
    )


def put_view_key(conn: sqlite3.Connection, post_id: int, viewer_key: bytes) -> bool:
    """Count a view once per viewer key; True when this one was new."""
    added = conn.execute(
        "INSERT OR IGNORE INTO post_view_keys (post_id, viewer_key) VALUES (?, ?)",
        (post_id, viewer_key),
    ).rowcount
    if added:
        conn.execute("UPDATE posts SET view_count = view_count + 1 WHERE id = ?", (post_id,))
    return bool(added)
