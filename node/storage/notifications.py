"""SQL for in-app notifications (e-mail delivery of them lives in the notifications service)."""

from __future__ import annotations

import sqlite3


def put_notification(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    kind: str,
    actor_id: int | None,
    now: int,
    post_id: int | None = None,
    message_id: int | None = None,
) -> None:
    """Record that something happened for `user_id`; called inside the write that caused it.

    Nobody is notified of their own actions.
    """
    if actor_id is not None and actor_id == user_id:
        return
    conn.execute(
        "INSERT INTO notifications (user_id, kind, actor_id, post_id, message_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, kind, actor_id, post_id, message_id, now),
    )
