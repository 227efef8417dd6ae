"""SQL for accounts and the requests to join a neighbourhood without a code."""

from __future__ import annotations

import sqlite3

from node.models import JoinRequest, Role, User, UserStatus


def _user(row: sqlite3.Row, prefix: str = "") -> User:
    return User(
        id=row[f"{prefix}id"],
        email=row[f"{prefix}email"],
        display_name=row[f"{prefix}display_name"],
        role=Role(row[f"{prefix}role"]),
        status=UserStatus(row[f"{prefix}status"]),
        neighbourhood_id=row[f"{prefix}neighbourhood_id"],
        household_id=row[f"{prefix}household_id"],
        locale=row[f"{prefix}locale"],
        created_at=row[f"{prefix}created_at"],
        password_hash=row[f"{prefix}password_hash"],
    )


def put_user(
    conn: sqlite3.Connection,
    *,
    email: str,
    display_name: str,
    password_hash: str,
    role: Role,
    status: UserStatus,
    neighbourhood_id: int | None,
    household_id: int | None,
    locale: str | None,
    now: int,
) -> User:
    cur = conn.execute(
        "INSERT INTO users (email, display_name, password_hash, role, status, neighbourhood_id,"
        " household_id, locale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            email,
            display_name,
            password_hash,
            role.value,
            status.value,
            neighbourhood_id,
            household_id,
            locale,
            now,
        ),
    )
    return get_user_by_id(conn, cur.lastrowid)  # type: ignore[return-value]


def get_user_by_id(conn: sqlite3.Connection, id: int) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (id,)).fetchone()
    return _user(row) if row else None


def get_user_by_email(conn: sqlite3.Connection, email: str) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    return _user(row) if row else None


def email_exists(conn: sqlite3.Connection, email: str) -> bool:
    return conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone() is not None


def count_users_with_role(conn: sqlite3.Connection, role: Role) -> int:
    return conn.execute(
        "SELECT count(*) FROM users WHERE role = ? AND status = 'active'", (role.value,)
    ).fetchone()[0]


def list_staff_users(conn: sqlite3.Connection) -> list[User]:
    """Accounts an admin manages by name: admins, city staff and moderators (not residents)."""
    rows = conn.execute(
        "SELECT * FROM users WHERE role IN ('admin', 'city_staff', 'moderator')"
        " ORDER BY role, display_name COLLATE NOCASE"
    ).fetchall()
    return [_user(row) for row in rows]


def update_user_password(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def update_user_status(conn: sqlite3.Connection, user_id: int, status: UserStatus) -> None:
    conn.execute("UPDATE users SET status = ? WHERE id = ?", (status.value, user_id))


def update_user_locale(conn: sqlite3.Connection, user_id: int, locale: str) -> None:
    conn.execute("UPDATE users SET locale = ? WHERE id = ?", (locale, user_id))


def put_join_request(
    conn: sqlite3.Connection,
    user_id: int,
    neighbourhood_id: int,
    address: str,
    message: str,
    now: int,
) -> None:
    conn.execute(
        "INSERT INTO join_requests (user_id, neighbourhood_id, address, message, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (user_id, neighbourhood_id, address, message, now),
    )


_OPEN_JOIN_REQUESTS = (
    "SELECT j.id AS request_id, j.neighbourhood_id AS request_neighbourhood_id, j.address,"
    " j.message, j.created_at AS requested_at, n.name AS neighbourhood_name, u.*"
    " FROM join_requests j JOIN users u ON u.id = j.user_id"
    " JOIN neighbourhoods n ON n.id = j.neighbourhood_id WHERE j.decided_at IS NULL"
)


def _join_request(row: sqlite3.Row) -> JoinRequest:
    return JoinRequest(
        id=row["request_id"],
        user=_user(row),
        neighbourhood_id=row["request_neighbourhood_id"],
        neighbourhood_name=row["neighbourhood_name"],
        address=row["address"],
        message=row["message"],
        created_at=row["requested_at"],
    )


def list_open_join_requests(
    conn: sqlite3.Connection, neighbourhood_id: int | None
) -> list[JoinRequest]:
    """Open requests for one neighbourhood, or for all when `neighbourhood_id` is None."""
    if neighbourhood_id is None:
        rows = conn.execute(_OPEN_JOIN_REQUESTS + " ORDER BY j.created_at").fetchall()
    else:
        rows = conn.execute(
            _OPEN_JOIN_REQUESTS + " AND j.neighbourhood_id = ? ORDER BY j.created_at",
            (neighbourhood_id,),
        ).fetchall()
    return [_join_request(row) for row in rows]


def get_open_join_request(conn: sqlite3.Connection, request_id: int) -> JoinRequest | None:
    row = conn.execute(_OPEN_JOIN_REQUESTS + " AND j.id = ?", (request_id,)).fetchone()
    return _join_request(row) if row else None


def decide_join_request(
    conn: sqlite3.Connection, request_id: int, decided_by: int, decision: str, now: int
) -> None:
    conn.execute(
        "UPDATE join_requests SET decided_at = ?, decided_by = ?, decision = ? WHERE id = ?",
        (now, decided_by, decision, request_id),
    )
