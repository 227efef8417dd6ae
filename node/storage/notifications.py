"""SQL for in-app notifications (e-mail delivery of them lives in the notifications service)."""

from __future__ import annotations

import sqlite3

from node.models.community import EmailMode, MailRecipient, Notification, PendingEmail


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


def put_initiative_answer_notifications(
    conn: sqlite3.Connection, initiative_id: int, now: int
) -> int:
    """Tell the initiative's author and every resident who supported it that the city
    answered; return how many were told."""
    cur = conn.execute(
        "INSERT INTO notifications (user_id, kind, initiative_id, created_at)"
        " SELECT user_id, 'initiative_answer', ?, ? FROM ("
        "  SELECT author_id AS user_id FROM initiatives WHERE id = ? AND author_id IS NOT NULL"
        "  UNION SELECT user_id FROM initiative_supports WHERE initiative_id = ?)",
        (initiative_id, now, initiative_id, initiative_id),
    )
    return cur.rowcount


# The names a notification's sentence needs. A hidden or deleted post's title, a withdrawn
# city message's or initiative's, is not repeated in a notification.
_NOTIFICATION_COLUMNS = (
    "n.*, a.display_name AS actor_name,"
    " CASE WHEN p.status = 'visible' THEN p.title END AS post_title,"
    " CASE WHEN cm.withdrawn_at IS NULL THEN cm.title END AS city_title,"
    " CASE WHEN i.withdrawn_at IS NULL THEN i.title END AS initiative_title"
)
_NOTIFICATION_JOINS = (
    " LEFT JOIN users a ON a.id = n.actor_id"
    " LEFT JOIN posts p ON p.id = n.post_id"
    " LEFT JOIN city_messages cm ON cm.id = n.city_message_id"
    " LEFT JOIN initiatives i ON i.id = n.initiative_id"
)
_NOTIFICATION_SELECT = f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications n{_NOTIFICATION_JOINS}"


def _notification(row: sqlite3.Row) -> Notification:
    return Notification(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        post_id=row["post_id"],
        post_title=row["post_title"],
        message_id=row["message_id"],
        created_at=row["created_at"],
        read_at=row["read_at"],
        emailed_at=row["emailed_at"],
        city_message_id=row["city_message_id"],
        city_title=row["city_title"],
        initiative_id=row["initiative_id"],
        initiative_title=row["initiative_title"],
    )


def list_notifications_by_user(
    conn: sqlite3.Connection, user_id: int, limit: int = 100
) -> list[Notification]:
    """A user's latest notifications, newest first."""
    rows = conn.execute(
        _NOTIFICATION_SELECT + " WHERE n.user_id = ? ORDER BY n.id DESC LIMIT ?",
        (user_id, limit),
    ).fetchall()
    return [_notification(row) for row in rows]


def count_unread_notifications_by_user(conn: sqlite3.Connection, user_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", (user_id,)
    ).fetchone()[0]


def update_notifications_read(conn: sqlite3.Connection, user_id: int, now: int) -> int:
    """Mark all of a user's notifications read; return how many were unread."""
    return conn.execute(
        "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
        (now, user_id),
    ).rowcount


def update_message_notifications_read(
    conn: sqlite3.Connection, user_id: int, actor_id: int, now: int
) -> None:
    """Opening a conversation reads the 'new message' notifications it answers."""
    conn.execute(
        "UPDATE notifications SET read_at = ?"
        " WHERE user_id = ? AND actor_id = ? AND kind = 'message' AND read_at IS NULL",
        (now, user_id, actor_id),
    )


def get_email_mode_by_user(conn: sqlite3.Connection, user_id: int) -> EmailMode:
    row = conn.execute(
        "SELECT email_mode FROM notification_settings WHERE user_id = ?", (user_id,)
    ).fetchone()
    return EmailMode(row["email_mode"]) if row else EmailMode.IMMEDIATE


def put_email_mode(conn: sqlite3.Connection, user_id: int, mode: EmailMode) -> None:
    conn.execute(
        "INSERT INTO notification_settings (user_id, email_mode) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET email_mode = excluded.email_mode",
        (user_id, mode.value),
    )


def list_pending_emails(conn: sqlite3.Connection, limit: int = 2000) -> list[PendingEmail]:
    """Notifications not yet e-mailed (nor skipped), with their recipients, oldest first."""
    rows = conn.execute(
        f"SELECT {_NOTIFICATION_COLUMNS},"
        " u.email AS recipient_email, u.display_name AS recipient_name,"
        " u.locale AS recipient_locale, u.status AS recipient_status,"
        " coalesce(s.email_mode, 'immediate') AS email_mode, s.last_digest_at"
        " FROM notifications n"
        " JOIN users u ON u.id = n.user_id"
        " LEFT JOIN notification_settings s ON s.user_id = n.user_id"
        f"{_NOTIFICATION_JOINS}"
        " WHERE n.emailed_at IS NULL ORDER BY n.id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        PendingEmail(
            notification=_notification(row),
            recipient=MailRecipient(
                user_id=row["user_id"],
                email=row["recipient_email"],
                display_name=row["recipient_name"],
                locale=row["recipient_locale"],
                email_mode=EmailMode(row["email_mode"]),
                active=row["recipient_status"] == "active",
                last_digest_at=row["last_digest_at"],
            ),
        )
        for row in rows
    ]


def update_notifications_emailed(
    conn: sqlite3.Connection, notification_ids: list[int], now: int
) -> None:
    """Record that these notifications were e-mailed, or deliberately not (mode 'none')."""
    conn.executemany(
        "UPDATE notifications SET emailed_at = ? WHERE id = ? AND emailed_at IS NULL",
        [(now, notification_id) for notification_id in notification_ids],
    )


def update_last_digest(conn: sqlite3.Connection, user_id: int, now: int) -> None:
    conn.execute(
        "INSERT INTO notification_settings (user_id, last_digest_at) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET last_digest_at = excluded.last_digest_at",
        (user_id, now),
    )
