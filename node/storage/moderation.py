"""SQL for moderation: reports, item status, members, the audit log and house rules.

These queries read the posts and comments tables directly (migration 0002) rather than going
through the posts area's store: moderation needs hidden items too, and only their status.
"""

from __future__ import annotations

import sqlite3

from node.models import Role, UserStatus
from node.models.moderation import (
    HouseRules,
    ItemKind,
    ItemTarget,
    LogEntry,
    Member,
    Notice,
    Report,
    ReportedItem,
    ReportedReason,
    ReportReason,
)

# A post is seen from a neighbourhood when it belongs to it, or is shared with nearby
# neighbourhoods and that neighbourhood is one of them. Two parameters: the viewer's
# neighbourhood, twice.
_SEEN_FROM = (
    "(p.neighbourhood_id = ? OR (p.shared_with_adjacent = 1 AND EXISTS ("
    "SELECT 1 FROM neighbourhood_adjacency a"
    " WHERE a.neighbourhood_id = ? AND a.adjacent_id = p.neighbourhood_id)))"
)


# -- items ------------------------------------------------------------------------------------


def _post_target(row: sqlite3.Row) -> ItemTarget:
    return ItemTarget(
        kind=ItemKind.POST,
        id=row["id"],
        post_id=row["id"],
        neighbourhood_id=row["neighbourhood_id"],
        author_id=row["author_id"],
        status=row["status"],
    )


def _comment_target(row: sqlite3.Row) -> ItemTarget:
    return ItemTarget(
        kind=ItemKind.COMMENT,
        id=row["id"],
        post_id=row["post_id"],
        neighbourhood_id=row["neighbourhood_id"],
        author_id=row["author_id"],
        status=row["status"],
    )


def get_post_target(conn: sqlite3.Connection, post_id: int) -> ItemTarget | None:
    """A post that has not been deleted, whatever its visibility."""
    row = conn.execute(
        "SELECT id, neighbourhood_id, author_id, status FROM posts"
        " WHERE id = ? AND status != 'deleted'",
        (post_id,),
    ).fetchone()
    return _post_target(row) if row else None


def get_comment_target(conn: sqlite3.Connection, comment_id: int) -> ItemTarget | None:
    """A comment that has not been deleted, on a post that has not been deleted."""
    row = conn.execute(
        "SELECT c.id, c.post_id, c.author_id, c.status, p.neighbourhood_id"
        " FROM comments c JOIN posts p ON p.id = c.post_id"
        " WHERE c.id = ? AND c.status != 'deleted' AND p.status != 'deleted'",
        (comment_id,),
    ).fetchone()
    return _comment_target(row) if row else None


def get_visible_post_target(
    conn: sqlite3.Connection, post_id: int, viewer_neighbourhood_id: int
) -> ItemTarget | None:
    """A visible post that a resident of the given neighbourhood can see."""
    row = conn.execute(
        "SELECT p.id, p.neighbourhood_id, p.author_id, p.status FROM posts p"
        f" WHERE p.id = ? AND p.status = 'visible' AND {_SEEN_FROM}",
        (post_id, viewer_neighbourhood_id, viewer_neighbourhood_id),
    ).fetchone()
    return _post_target(row) if row else None


def get_visible_comment_target(
    conn: sqlite3.Connection, comment_id: int, viewer_neighbourhood_id: int
) -> ItemTarget | None:
    """A visible comment, on a visible post, that a resident of the neighbourhood can see."""
    row = conn.execute(
        "SELECT c.id, c.post_id, c.author_id, c.status, p.neighbourhood_id"
        " FROM comments c JOIN posts p ON p.id = c.post_id"
        " WHERE c.id = ? AND c.status = 'visible' AND p.status = 'visible'"
        f" AND {_SEEN_FROM}",
        (comment_id, viewer_neighbourhood_id, viewer_neighbourhood_id),
    ).fetchone()
    return _comment_target(row) if row else None


def update_post_status(conn: sqlite3.Connection, post_id: int, status: str) -> None:
    conn.execute("UPDATE posts SET status = ? WHERE id = ?", (status, post_id))


def update_comment_status(conn: sqlite3.Connection, comment_id: int, status: str) -> None:
    """Change a comment's status, keeping its post's comment_count equal to visible comments."""
    row = conn.execute(
        "SELECT post_id, status FROM comments WHERE id = ?", (comment_id,)
    ).fetchone()
    if row is None or row["status"] == status:
        return
    conn.execute("UPDATE comments SET status = ? WHERE id = ?", (status, comment_id))
    change = (status == "visible") - (row["status"] == "visible")
    if change:
        conn.execute(
            "UPDATE posts SET comment_count = max(0, comment_count + ?) WHERE id = ?",
            (change, row["post_id"]),
        )


# -- reports ----------------------------------------------------------------------------------


def _encode_reason(reason: ReportReason, details: str) -> str:
    # One TEXT column holds both: the reason's code, then the reporter's words after a newline.
    return f"{reason.value}\n{details}" if details else reason.value


def _decode_reason(text: str) -> tuple[ReportReason, str]:
    code, _, details = text.partition("\n")
    try:
        return ReportReason(code), details
    except ValueError:
        return ReportReason.OTHER, text


def _report(row: sqlite3.Row) -> Report:
    reason, details = _decode_reason(row["reason"])
    return Report(
        id=row["id"],
        neighbourhood_id=row["neighbourhood_id"],
        kind=ItemKind.POST if row["post_id"] is not None else ItemKind.COMMENT,
        post_id=row["post_id"],
        comment_id=row["comment_id"],
        reason=reason,
        details=details,
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
        outcome=row["outcome"],
    )


def _item_column(kind: ItemKind) -> str:
    return "post_id" if kind is ItemKind.POST else "comment_id"


def has_open_report(
    conn: sqlite3.Connection, reporter_id: int, kind: ItemKind, item_id: int
) -> bool:
    column = _item_column(kind)
    return (
        conn.execute(
            f"SELECT 1 FROM reports WHERE reporter_id = ? AND {column} = ? AND resolved_at IS NULL",
            (reporter_id, item_id),
        ).fetchone()
        is not None
    )


def put_report(
    conn: sqlite3.Connection,
    *,
    neighbourhood_id: int,
    kind: ItemKind,
    item_id: int,
    reporter_id: int,
    reason: ReportReason,
    details: str,
    now: int,
) -> Report:
    post_id = item_id if kind is ItemKind.POST else None
    comment_id = item_id if kind is ItemKind.COMMENT else None
    cur = conn.execute(
        "INSERT INTO reports (neighbourhood_id, post_id, comment_id, reporter_id, reason,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (neighbourhood_id, post_id, comment_id, reporter_id, _encode_reason(reason, details), now),
    )
    row = conn.execute("SELECT * FROM reports WHERE id = ?", (cur.lastrowid,)).fetchone()
    return _report(row)


def resolve_open_reports(
    conn: sqlite3.Connection,
    kind: ItemKind,
    item_id: int,
    resolved_by: int,
    outcome: str,
    now: int,
) -> int:
    column = _item_column(kind)
    cur = conn.execute(
        f"UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = ?"
        f" WHERE {column} = ? AND resolved_at IS NULL",
        (now, resolved_by, outcome, item_id),
    )
    return cur.rowcount


_OPEN_REPORTS = """
    SELECT r.id AS report_id, r.reason, r.created_at AS reported_at, r.post_id AS r_post_id,
           r.comment_id AS r_comment_id, n.id AS neighbourhood_id, n.name AS neighbourhood_name,
           coalesce(c.post_id, p.id) AS item_post_id,
           coalesce(cp.title, p.title) AS title,
           coalesce(c.body, p.body) AS body,
           CASE WHEN r.comment_id IS NULL THEN p.author_id ELSE c.author_id END AS author_id,
           coalesce(c.status, p.status) AS status,
           coalesce(c.created_at, p.created_at) AS item_created_at,
           u.display_name AS author_name
    FROM reports r
    JOIN neighbourhoods n ON n.id = r.neighbourhood_id
    LEFT JOIN posts p ON p.id = r.post_id
    LEFT JOIN comments c ON c.id = r.comment_id
    LEFT JOIN posts cp ON cp.id = c.post_id
    LEFT JOIN users u ON u.id = (CASE WHEN r.comment_id IS NULL THEN p.author_id
                                      ELSE c.author_id END)
    WHERE r.resolved_at IS NULL
      AND coalesce(c.status, p.status) != 'deleted'
      AND (cp.status IS NULL OR cp.status != 'deleted')
"""


def list_open_reported_items(
    conn: sqlite3.Connection, neighbourhood_id: int | None
) -> list[ReportedItem]:
    """Items with open reports, oldest report first; one neighbourhood's, or all (None)."""
    if neighbourhood_id is None:
        rows = conn.execute(_OPEN_REPORTS + " ORDER BY r.created_at, r.id").fetchall()
    else:
        rows = conn.execute(
            _OPEN_REPORTS + " AND r.neighbourhood_id = ? ORDER BY r.created_at, r.id",
            (neighbourhood_id,),
        ).fetchall()
    grouped: dict[tuple[ItemKind, int], list[sqlite3.Row]] = {}
    for row in rows:
        if row["r_comment_id"] is None:
            key = (ItemKind.POST, row["r_post_id"])
        else:
            key = (ItemKind.COMMENT, row["r_comment_id"])
        grouped.setdefault(key, []).append(row)
    items = []
    for (kind, item_id), item_rows in grouped.items():
        first = item_rows[0]
        reasons = []
        for row in item_rows:
            reason, details = _decode_reason(row["reason"])
            reasons.append(ReportedReason(reason, details, row["reported_at"]))
        items.append(
            ReportedItem(
                kind=kind,
                id=item_id,
                post_id=first["item_post_id"],
                neighbourhood_id=first["neighbourhood_id"],
                neighbourhood_name=first["neighbourhood_name"],
                author_id=first["author_id"],
                author_name=first["author_name"],
                title=first["title"] or "",
                body=first["body"] or "",
                status=first["status"],
                created_at=first["item_created_at"],
                reasons=tuple(reasons),
            )
        )
    return items


def list_reports_by_reporter(conn: sqlite3.Connection, reporter_id: int) -> list[Report]:
    rows = conn.execute(
        "SELECT * FROM reports WHERE reporter_id = ? ORDER BY id", (reporter_id,)
    ).fetchall()
    return [_report(row) for row in rows]


def list_moderator_ids_by_neighbourhood(
    conn: sqlite3.Connection, neighbourhood_id: int
) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM users WHERE neighbourhood_id = ? AND role = 'moderator'"
        " AND status = 'active'",
        (neighbourhood_id,),
    ).fetchall()
    return [row["id"] for row in rows]


# -- members ----------------------------------------------------------------------------------


def _member(row: sqlite3.Row) -> Member:
    return Member(
        id=row["id"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        status=UserStatus(row["status"]),
        neighbourhood_id=row["neighbourhood_id"],
        neighbourhood_name=row["neighbourhood_name"],
        created_at=row["created_at"],
    )


_MEMBERS = (
    "SELECT u.id, u.display_name, u.role, u.status, u.neighbourhood_id, u.created_at,"
    " n.name AS neighbourhood_name FROM users u JOIN neighbourhoods n ON n.id = u.neighbourhood_id"
    " WHERE u.role IN ('resident', 'moderator') AND u.status IN ('active', 'suspended')"
)


def list_members(
    conn: sqlite3.Connection, neighbourhood_id: int | None, limit: int, offset: int
) -> tuple[list[Member], int]:
    """A page of members (active or suspended) by name, and how many there are in all."""
    where, params = (
        ("", ())
        if neighbourhood_id is None
        else (" AND u.neighbourhood_id = ?", (neighbourhood_id,))
    )
    total = conn.execute(f"SELECT count(*) FROM ({_MEMBERS}{where})", params).fetchone()[0]
    rows = conn.execute(
        f"{_MEMBERS}{where} ORDER BY n.name COLLATE NOCASE, u.display_name COLLATE NOCASE, u.id"
        " LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [_member(row) for row in rows], total


def get_member(conn: sqlite3.Connection, user_id: int) -> Member | None:
    row = conn.execute(_MEMBERS + " AND u.id = ?", (user_id,)).fetchone()
    return _member(row) if row else None


def get_role_of_user(conn: sqlite3.Connection, user_id: int) -> Role | None:
    row = conn.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
    return Role(row["role"]) if row else None


# -- audit log --------------------------------------------------------------------------------


def put_log_entry(
    conn: sqlite3.Connection,
    *,
    neighbourhood_id: int,
    moderator_id: int,
    action: str,
    now: int,
    target_user_id: int | None = None,
    post_id: int | None = None,
    comment_id: int | None = None,
    note: str = "",
) -> None:
    conn.execute(
        "INSERT INTO moderation_log (neighbourhood_id, moderator_id, action, target_user_id,"
        " post_id, comment_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (neighbourhood_id, moderator_id, action, target_user_id, post_id, comment_id, note, now),
    )


def list_log_entries(
    conn: sqlite3.Connection, neighbourhood_id: int | None, limit: int, offset: int
) -> tuple[list[LogEntry], int]:
    """A page of the audit log, newest first, and the number of entries in all."""
    where, params = (
        ("", ())
        if neighbourhood_id is None
        else (" WHERE l.neighbourhood_id = ?", (neighbourhood_id,))
    )
    total = conn.execute(f"SELECT count(*) FROM moderation_log l{where}", params).fetchone()[0]
    rows = conn.execute(
        "SELECT l.*, n.name AS neighbourhood_name, m.display_name AS moderator_name,"
        " t.display_name AS target_name FROM moderation_log l"
        " JOIN neighbourhoods n ON n.id = l.neighbourhood_id"
        " LEFT JOIN users m ON m.id = l.moderator_id"
        f" LEFT JOIN users t ON t.id = l.target_user_id{where}"
        " ORDER BY l.id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    entries = [
        LogEntry(
            id=row["id"],
            neighbourhood_id=row["neighbourhood_id"],
            neighbourhood_name=row["neighbourhood_name"],
            moderator_name=row["moderator_name"],
            action=row["action"],
            target_user_id=row["target_user_id"],
            target_user_name=row["target_name"],
            post_id=row["post_id"],
            comment_id=row["comment_id"],
            note=row["note"],
            created_at=row["created_at"],
        )
        for row in rows
    ]
    return entries, total


def list_notices_by_user(conn: sqlite3.Connection, user_id: int) -> list[Notice]:
    """Warnings and suspensions concerning a member, newest first."""
    rows = conn.execute(
        "SELECT action, note, created_at FROM moderation_log WHERE target_user_id = ?"
        " AND action IN ('warn', 'suspend', 'unsuspend') ORDER BY id DESC",
        (user_id,),
    ).fetchall()
    return [Notice(row["action"], row["note"], row["created_at"]) for row in rows]


# -- house rules ------------------------------------------------------------------------------


def get_house_rules(conn: sqlite3.Connection, neighbourhood_id: int) -> HouseRules | None:
    """The neighbourhood's rules (empty when none are written); None if no such neighbourhood.

    `body_html` is left empty: the service renders and caches it.
    """
    row = conn.execute(
        "SELECT n.id, n.name, r.body, r.updated_at, u.display_name AS updated_by_name"
        " FROM neighbourhoods n LEFT JOIN house_rules r ON r.neighbourhood_id = n.id"
        " LEFT JOIN users u ON u.id = r.updated_by WHERE n.id = ?",
        (neighbourhood_id,),
    ).fetchone()
    if row is None:
        return None
    return HouseRules(
        neighbourhood_id=row["id"],
        neighbourhood_name=row["name"],
        body=row["body"] or "",
        body_html="",
        updated_at=row["updated_at"],
        updated_by_name=row["updated_by_name"],
    )


def put_house_rules(
    conn: sqlite3.Connection, neighbourhood_id: int, body: str, updated_by: int, now: int
) -> None:
    conn.execute(
        "INSERT INTO house_rules (neighbourhood_id, body, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (neighbourhood_id) DO UPDATE SET"
        " body = excluded.body, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
        (neighbourhood_id, body, now, updated_by),
    )
