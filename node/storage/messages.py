"""SQL for direct messages between two residents, and who may write to whom."""

from __future__ import annotations

import sqlite3

from node.models.community import Conversation, Correspondent, Message

# Accounts that can take part in a conversation: active residents and moderators.
_PARTICIPANT = "status = 'active' AND role IN ('resident', 'moderator')"


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        sender_id=row["sender_id"],
        recipient_id=row["recipient_id"],
        body=row["body"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


def get_correspondent_by_id(
    conn: sqlite3.Connection, user_id: int, active_only: bool = True
) -> Correspondent | None:
    """A resident or moderator by id; with `active_only`, only one who can still be written to.

    City staff and admins are never correspondents: they take no part in messages.
    """
    condition = _PARTICIPANT if active_only else "role IN ('resident', 'moderator')"
    row = conn.execute(
        f"SELECT id, display_name FROM users WHERE id = ? AND {condition}", (user_id,)
    ).fetchone()
    return Correspondent(row["id"], row["display_name"]) if row else None


def can_start_conversation(
    conn: sqlite3.Connection, sender_neighbourhood_id: int, sender_id: int, recipient_id: int
) -> bool:
    """Whether the sender can see the recipient, so may write first.

    They can when the recipient lives in the sender's neighbourhood (neighbours, directory
    entries and helpers are all drawn from it), or authored a visible post shared with
    nearby neighbourhoods that the sender's neighbourhood can read.
    """
    row = conn.execute(
        f"SELECT 1 FROM users u WHERE u.id = ? AND u.id != ? AND u.{_PARTICIPANT}"
        " AND (u.neighbourhood_id = ? OR EXISTS ("
        "   SELECT 1 FROM posts p JOIN neighbourhood_adjacency a"
        "     ON a.neighbourhood_id = p.neighbourhood_id AND a.adjacent_id = ?"
        "   WHERE p.author_id = u.id AND p.shared_with_adjacent = 1 AND p.status = 'visible'))",
        (recipient_id, sender_id, sender_neighbourhood_id, sender_neighbourhood_id),
    ).fetchone()
    return row is not None


def has_written_to(conn: sqlite3.Connection, sender_id: int, recipient_id: int) -> bool:
    """Whether `sender_id` ever wrote to `recipient_id` (then a reply is always allowed)."""
    row = conn.execute(
        "SELECT 1 FROM messages WHERE sender_id = ? AND recipient_id = ? LIMIT 1",
        (sender_id, recipient_id),
    ).fetchone()
    return row is not None


def put_message(
    conn: sqlite3.Connection, sender_id: int, recipient_id: int, body: str, now: int
) -> Message:
    cur = conn.execute(
        "INSERT INTO messages (sender_id, recipient_id, body, created_at) VALUES (?, ?, ?, ?)",
        (sender_id, recipient_id, body, now),
    )
    return Message(cur.lastrowid, sender_id, recipient_id, body, now, None)  # type: ignore[arg-type]


def list_messages_by_pair(
    conn: sqlite3.Connection, user_id: int, other_id: int, limit: int = 500
) -> list[Message]:
    """The latest `limit` messages of two people that `user_id` has not hidden, oldest first."""
    rows = conn.execute(
        "SELECT * FROM ("
        " SELECT * FROM messages WHERE sender_id = ? AND recipient_id = ? AND hidden_for_sender = 0"
        " UNION ALL"
        " SELECT * FROM messages WHERE sender_id = ? AND recipient_id = ?"
        "   AND hidden_for_recipient = 0"
        " ORDER BY id DESC LIMIT ?) ORDER BY id",
        (user_id, other_id, other_id, user_id, limit),
    ).fetchall()
    return [_message(row) for row in rows]


def list_conversations_by_user(conn: sqlite3.Connection, user_id: int) -> list[Conversation]:
    """Everyone `user_id` has a visible conversation with, the latest conversation first."""
    rows = conn.execute(
        "WITH mine AS ("
        "  SELECT id, recipient_id AS other_id, 0 AS unread FROM messages"
        "  WHERE sender_id = ? AND hidden_for_sender = 0 AND recipient_id IS NOT NULL"
        "  UNION ALL"
        "  SELECT id, sender_id AS other_id, read_at IS NULL AS unread FROM messages"
        "  WHERE recipient_id = ? AND hidden_for_recipient = 0 AND sender_id IS NOT NULL),"
        " per_other AS ("
        "  SELECT other_id, max(id) AS last_id, sum(unread) AS unread FROM mine GROUP BY other_id)"
        " SELECT m.*, p.other_id, p.unread, u.display_name AS other_name"
        " FROM per_other p JOIN messages m ON m.id = p.last_id"
        " JOIN users u ON u.id = p.other_id"
        " ORDER BY p.last_id DESC",
        (user_id, user_id),
    ).fetchall()
    return [
        Conversation(
            other=Correspondent(row["other_id"], row["other_name"]),
            last_message=_message(row),
            unread=row["unread"],
        )
        for row in rows
    ]


def count_unread_messages_by_user(conn: sqlite3.Connection, user_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM messages"
        " WHERE recipient_id = ? AND read_at IS NULL AND hidden_for_recipient = 0",
        (user_id,),
    ).fetchone()[0]


def update_messages_read(
    conn: sqlite3.Connection, recipient_id: int, sender_id: int, now: int
) -> int:
    """Mark what `sender_id` wrote to `recipient_id` as read; return how many were unread."""
    cur = conn.execute(
        "UPDATE messages SET read_at = ?"
        " WHERE recipient_id = ? AND sender_id = ? AND read_at IS NULL",
        (now, recipient_id, sender_id),
    )
    return cur.rowcount


def update_message_hidden(conn: sqlite3.Connection, user_id: int, message_id: int) -> bool:
    """Hide one message for `user_id` only; False when they are not one of its two parties."""
    cur = conn.execute(
        "UPDATE messages SET"
        " hidden_for_sender = CASE WHEN sender_id = ? THEN 1 ELSE hidden_for_sender END,"
        " hidden_for_recipient = CASE WHEN recipient_id = ? THEN 1 ELSE hidden_for_recipient END"
        " WHERE id = ? AND (sender_id = ? OR recipient_id = ?)",
        (user_id, user_id, message_id, user_id, user_id),
    )
    return cur.rowcount > 0


def update_conversation_hidden(
    conn: sqlite3.Connection, user_id: int, other_id: int, now: int
) -> int:
    """Hide a whole conversation for `user_id` only; the other person keeps their copy.

    What they hide unread counts as read, so it no longer shows as waiting.
    """
    sent = conn.execute(
        "UPDATE messages SET hidden_for_sender = 1 WHERE sender_id = ? AND recipient_id = ?",
        (user_id, other_id),
    ).rowcount
    received = conn.execute(
        "UPDATE messages SET hidden_for_recipient = 1, read_at = coalesce(read_at, ?)"
        " WHERE recipient_id = ? AND sender_id = ?",
        (now, user_id, other_id),
    ).rowcount
    return sent + received
