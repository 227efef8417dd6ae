"""SQL for a person's own data: gathering all of it, and removing it with the account.

The export reads across every area's tables (migration 0002) on purpose: it must be complete,
and one read transaction gives a consistent snapshot. Other people appear by display name
only, never by e-mail address or id.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from node.models.privacy import DataExport, Section


def _rows(conn: sqlite3.Connection, sql: str, params: tuple) -> Section:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def _row(conn: sqlite3.Connection, sql: str, params: tuple) -> dict[str, Any] | None:
    row = conn.execute(sql, params).fetchone()
    return dict(row) if row else None


def _posts(conn: sqlite3.Connection, user_id: int) -> Section:
    posts = _rows(
        conn,
        "SELECT p.id, p.category, p.offer_kind, p.title, p.body, p.status,"
        " p.shared_with_adjacent, p.resolved_at, p.created_at, p.edited_at,"
        " e.starts_at AS event_starts_at, e.ends_at AS event_ends_at,"
        " e.location AS event_location"
        " FROM posts p LEFT JOIN post_events e ON e.post_id = p.id"
        " WHERE p.author_id = ? ORDER BY p.id",
        (user_id,),
    )
    photos: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(
        "SELECT ph.post_id, ph.file_name, ph.thumb_name FROM post_photos ph"
        " JOIN posts p ON p.id = ph.post_id WHERE p.author_id = ? ORDER BY ph.post_id, ph.position",
        (user_id,),
    ):
        photos.setdefault(row["post_id"], []).append(
            {"file_name": row["file_name"], "thumbnail": row["thumb_name"]}
        )
    for post in posts:
        post["shared_with_adjacent"] = bool(post["shared_with_adjacent"])
        post["photos"] = photos.get(post["id"], [])
        if post["event_starts_at"] is None:
            for key in ("event_starts_at", "event_ends_at", "event_location"):
                del post[key]
    return posts


def get_data_export(conn: sqlite3.Connection, user_id: int) -> DataExport | None:
    """Everything about one person, or None when there is no such account."""
    account = _row(
        conn,
        "SELECT id, email, display_name, role, status, locale, created_at FROM users WHERE id = ?",
        (user_id,),
    )
    if account is None:
        return None
    household = _row(
        conn,
        "SELECT h.street, h.number, h.box, h.postcode, h.municipality FROM users u"
        " JOIN households h ON h.id = u.household_id WHERE u.id = ?",
        (user_id,),
    )
    neighbourhood = _row(
        conn,
        "SELECT n.slug, n.name FROM users u JOIN neighbourhoods n ON n.id = u.neighbourhood_id"
        " WHERE u.id = ?",
        (user_id,),
    )
    helper = _row(
        conn,
        "SELECT note, volunteer, created_at, updated_at FROM helpers WHERE user_id = ?",
        (user_id,),
    )
    if helper is not None:
        helper["volunteer"] = bool(helper["volunteer"])
        helper["skills"] = [
            row["skill"]
            for row in conn.execute(
                "SELECT skill FROM helper_skills WHERE user_id = ? ORDER BY skill", (user_id,)
            )
        ]
    directory = _row(
        conn,
        "SELECT bio, show_street, show_bio, show_skills, updated_at FROM directory_entries"
        " WHERE user_id = ?",
        (user_id,),
    )
    if directory is not None:
        for key in ("show_street", "show_bio", "show_skills"):
            directory[key] = bool(directory[key])
    reports = _rows(
        conn,
        "SELECT id, post_id, comment_id, reason, created_at, resolved_at, outcome FROM reports"
        " WHERE reporter_id = ? ORDER BY id",
        (user_id,),
    )
    for report in reports:
        code, _, details = report.pop("reason").partition("\n")
        report["reason"], report["details"] = code, details
    return DataExport(
        account=account,
        household=household,
        neighbourhood=neighbourhood,
        posts=_posts(conn, user_id),
        comments=_rows(
            conn,
            "SELECT id, post_id, body, status, created_at, edited_at FROM comments"
            " WHERE author_id = ? ORDER BY id",
            (user_id,),
        ),
        reactions=_rows(
            conn,
            "SELECT post_id, kind, created_at FROM reactions WHERE user_id = ?"
            " ORDER BY created_at, post_id",
            (user_id,),
        ),
        rsvps=_rows(
            conn,
            "SELECT post_id, answer, created_at FROM rsvps WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        ),
        messages_sent=_rows(
            conn,
            "SELECT m.id, r.display_name AS recipient, m.body, m.created_at, m.read_at"
            " FROM messages m LEFT JOIN users r ON r.id = m.recipient_id"
            " WHERE m.sender_id = ? ORDER BY m.id",
            (user_id,),
        ),
        messages_received=_rows(
            conn,
            "SELECT m.id, s.display_name AS sender, m.body, m.created_at, m.read_at"
            " FROM messages m LEFT JOIN users s ON s.id = m.sender_id"
            " WHERE m.recipient_id = ? ORDER BY m.id",
            (user_id,),
        ),
        directory_entry=directory,
        helper=helper,
        notification_settings=_row(
            conn,
            "SELECT email_mode, last_digest_at FROM notification_settings WHERE user_id = ?",
            (user_id,),
        ),
        notifications=_rows(
            conn,
            "SELECT kind, post_id, created_at, read_at FROM notifications WHERE user_id = ?"
            " ORDER BY id",
            (user_id,),
        ),
        reports_made=reports,
        # Warnings, suspensions and actions on their content; the volunteer moderator who
        # acted is not named, as on the member's own page.
        moderation_concerning_me=_rows(
            conn,
            "SELECT action, post_id, comment_id, note, created_at FROM moderation_log"
            " WHERE target_user_id = ? ORDER BY id",
            (user_id,),
        ),
        join_request=_row(
            conn,
            "SELECT address, message, created_at, decided_at, decision FROM join_requests"
            " WHERE user_id = ?",
            (user_id,),
        ),
        api_tokens=_rows(
            conn,
            "SELECT name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ?"
            " ORDER BY id",
            (user_id,),
        ),
    )


# -- deleting an account ----------------------------------------------------------------------


def delete_reactions_of_user(conn: sqlite3.Connection, user_id: int) -> None:
    """Remove the person's reactions and take them off the posts' counters."""
    conn.execute(
        """
        UPDATE posts SET
          thanks_count = thanks_count - (SELECT count(*) FROM reactions r
              WHERE r.post_id = posts.id AND r.user_id = ?1 AND r.kind = 'thanks'),
          like_count = like_count - (SELECT count(*) FROM reactions r
              WHERE r.post_id = posts.id AND r.user_id = ?1 AND r.kind = 'like'),
          support_count = support_count - (SELECT count(*) FROM reactions r
              WHERE r.post_id = posts.id AND r.user_id = ?1 AND r.kind = 'support')
        WHERE id IN (SELECT post_id FROM reactions WHERE user_id = ?1)
        """,
        (user_id,),
    )
    conn.execute("DELETE FROM reactions WHERE user_id = ?", (user_id,))


def delete_rsvps_of_user(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM rsvps WHERE user_id = ?", (user_id,))


def anonymise_content_of_user(conn: sqlite3.Connection, user_id: int) -> None:
    """Keep the person's posts and comments, by nobody (shown as a former neighbour)."""
    conn.execute("UPDATE posts SET author_id = NULL WHERE author_id = ?", (user_id,))
    conn.execute("UPDATE comments SET author_id = NULL WHERE author_id = ?", (user_id,))


def remove_content_of_user(conn: sqlite3.Connection, user_id: int) -> list[str]:
    """Empty and mark deleted the person's posts and comments; return photo files to remove.

    Posts are marked rather than deleted so that neighbours' comments on them do not vanish
    by cascade in the same stroke; the texts, photos and event details go at once.
    """
    files = []
    for row in conn.execute(
        "SELECT file_name, thumb_name FROM post_photos"
        " WHERE post_id IN (SELECT id FROM posts WHERE author_id = ?)",
        (user_id,),
    ):
        files += [row["file_name"], row["thumb_name"]]
    conn.execute(
        "DELETE FROM post_photos WHERE post_id IN (SELECT id FROM posts WHERE author_id = ?)",
        (user_id,),
    )
    conn.execute(
        "DELETE FROM post_events WHERE post_id IN (SELECT id FROM posts WHERE author_id = ?)",
        (user_id,),
    )
    conn.execute(
        "UPDATE posts SET status = 'deleted', title = '', body = '', body_html = '',"
        " author_id = NULL WHERE author_id = ?",
        (user_id,),
    )
    # comment_count counts visible comments: the person's visible comments leave it.
    conn.execute(
        """
        UPDATE posts SET comment_count = max(0, comment_count - (SELECT count(*) FROM comments c
            WHERE c.post_id = posts.id AND c.author_id = ?1 AND c.status = 'visible'))
        WHERE id IN (SELECT post_id FROM comments WHERE author_id = ?1 AND status = 'visible')
        """,
        (user_id,),
    )
    conn.execute(
        "UPDATE comments SET status = 'deleted', body = '', body_html = '', author_id = NULL"
        " WHERE author_id = ?",
        (user_id,),
    )
    return files


def detach_messages_of_user(conn: sqlite3.Connection, user_id: int) -> None:
    """Keep each message for the other party (by a former neighbour); drop those nobody keeps."""
    conn.execute(
        "DELETE FROM messages WHERE (sender_id = ?1 AND (recipient_id IS NULL"
        " OR recipient_id = ?1 OR hidden_for_recipient = 1))"
        " OR (recipient_id = ?1 AND (sender_id IS NULL OR hidden_for_sender = 1))",
        (user_id,),
    )
    conn.execute("UPDATE messages SET sender_id = NULL WHERE sender_id = ?", (user_id,))
    conn.execute("UPDATE messages SET recipient_id = NULL WHERE recipient_id = ?", (user_id,))


def delete_user_and_profile(conn: sqlite3.Connection, user_id: int) -> None:
    """Remove the account and everything that only described it.

    Sessions, tokens, links, notifications, settings, directory and helper rows go by
    ON DELETE CASCADE too; they are deleted by name so the intent is plain.
    """
    for table in (
        "directory_entries",
        "helper_skills",
        "helpers",
        "notification_settings",
        "feed_visits",
        "notifications",
        "sessions",
        "api_tokens",
        "one_time_links",
        "join_requests",
    ):
        conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
    # The one reference to users without an ON DELETE rule in 0001.
    conn.execute("UPDATE join_requests SET decided_by = NULL WHERE decided_by = ?", (user_id,))
    conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
