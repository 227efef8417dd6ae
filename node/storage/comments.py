"""SQL for comments on posts. `posts.comment_count` is kept in step with every change."""

from __future__ import annotations

import sqlite3

from node.models.posts import Comment


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        id=row["id"],
        post_id=row["post_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        body=row["body"],
        body_html=row["body_html"],
        status=row["status"],
        created_at=row["created_at"],
        edited_at=row["edited_at"],
    )


_SELECT = (
    "SELECT c.*, u.display_name AS author_name FROM comments c"
    " LEFT JOIN users u ON u.id = c.author_id"
)


def list_comments_by_post(conn: sqlite3.Connection, post_id: int) -> list[Comment]:
    """Visible comments of a post, oldest first."""
    rows = conn.execute(
        _SELECT + " WHERE c.post_id = ? AND c.status = 'visible' ORDER BY c.id", (post_id,)
    ).fetchall()
    return [_comment(row) for row in rows]


def get_comment_by_id(conn: sqlite3.Connection, comment_id: int) -> Comment | None:
    row = conn.execute(_SELECT + " WHERE c.id = ?", (comment_id,)).fetchone()
    return _comment(row) if row else None


def list_commenter_ids_by_post(conn: sqlite3.Connection, post_id: int) -> list[int]:
    """Distinct authors of the visible comments of a post, in order of first comment."""
    rows = conn.execute(
        "SELECT author_id FROM comments WHERE post_id = ? AND status = 'visible'"
        " AND author_id IS NOT NULL GROUP BY author_id ORDER BY min(id)",
        (post_id,),
    ).fetchall()
    return [row[0] for row in rows]


def put_comment(
    conn: sqlite3.Connection, post_id: int, author_id: int, body: str, body_html: str, now: int
) -> int:
    cur = conn.execute(
        "INSERT INTO comments (post_id, author_id, body, body_html, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (post_id, author_id, body, body_html, now),
    )
    update_comment_count(conn, post_id)
    return cur.lastrowid


def update_comment(
    conn: sqlite3.Connection, comment_id: int, body: str, body_html: str, now: int
) -> None:
    conn.execute(
        "UPDATE comments SET body = ?, body_html = ?, edited_at = ? WHERE id = ?",
        (body, body_html, now, comment_id),
    )


def delete_comment(conn: sqlite3.Connection, comment_id: int, post_id: int, now: int) -> None:
    """Mark deleted and clear the text; the post's counter follows."""
    conn.execute(
        "UPDATE comments SET status = 'deleted', body = '', body_html = '', edited_at = ?"
        " WHERE id = ?",
        (now, comment_id),
    )
    update_comment_count(conn, post_id)


def update_comment_count(conn: sqlite3.Connection, post_id: int) -> None:
    """Recount a post's visible comments (also for moderation after hiding or restoring one)."""
    conn.execute(
        "UPDATE posts SET comment_count = (SELECT count(*) FROM comments"
        " WHERE post_id = ? AND status = 'visible') WHERE id = ?",
        (post_id, post_id),
    )
