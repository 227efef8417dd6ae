"""SQL for secrets that let someone in: sessions, API tokens and one-time links.

Only SHA-256 hashes of the secrets are stored, so a leaked database or backup opens nothing.
"""

from __future__ import annotations

import sqlite3

from node.models import ApiToken, OneTimeLink, User
from node.storage.users import _user


def put_session(
    conn: sqlite3.Connection, token_hash: str, user_id: int, now: int, expires_at: int
) -> None:
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, user_id, now, expires_at),
    )


def get_user_by_session(conn: sqlite3.Connection, token_hash: str, now: int) -> User | None:
    row = conn.execute(
        "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash, now),
    ).fetchone()
    return _user(row) if row else None


def get_session_user(
    conn: sqlite3.Connection, token_hash: str, now: int
) -> tuple[User, int] | None:
    """The user of a live session and when the session expires (for callers that cache it)."""
    row = conn.execute(
        "SELECT u.*, s.expires_at AS session_expires_at FROM sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash, now),
    ).fetchone()
    return (_user(row), row["session_expires_at"]) if row else None


def extend_session(conn: sqlite3.Connection, token_hash: str, expires_at: int) -> None:
    conn.execute(
        "UPDATE sessions SET expires_at = ? WHERE token_hash = ?", (expires_at, token_hash)
    )


def delete_session(conn: sqlite3.Connection, token_hash: str) -> None:
    conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def delete_sessions_of_user(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


def delete_expired_sessions(conn: sqlite3.Connection, now: int) -> int:
    return conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,)).rowcount


def put_api_token(
    conn: sqlite3.Connection, token_hash: str, user_id: int, name: str, now: int
) -> ApiToken:
    cur = conn.execute(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)",
        (token_hash, user_id, name, now),
    )
    return ApiToken(cur.lastrowid, user_id, name, now, None, None)


def get_user_by_api_token(conn: sqlite3.Connection, token_hash: str) -> User | None:
    row = conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        (token_hash,),
    ).fetchone()
    return _user(row) if row else None


def touch_api_token(conn: sqlite3.Connection, token_hash: str, now: int) -> None:
    conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", (now, token_hash))


def list_api_tokens(conn: sqlite3.Connection, user_id: int) -> list[ApiToken]:
    rows = conn.execute(
        "SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC", (user_id,)
    ).fetchall()
    return [
        ApiToken(
            r["id"], r["user_id"], r["name"], r["created_at"], r["last_used_at"], r["revoked_at"]
        )
        for r in rows
    ]


def revoke_api_token(conn: sqlite3.Connection, token_id: int, user_id: int, now: int) -> bool:
    cur = conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        (now, token_id, user_id),
    )
    return cur.rowcount > 0


def put_one_time_link(
    conn: sqlite3.Connection,
    token_hash: str,
    purpose: str,
    user_id: int | None,
    now: int,
    expires_at: int,
) -> None:
    conn.execute(
        "INSERT INTO one_time_links (token_hash, purpose, user_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash, purpose, user_id, now, expires_at),
    )


def get_usable_one_time_link(
    conn: sqlite3.Connection, token_hash: str, purpose: str, now: int
) -> OneTimeLink | None:
    row = conn.execute(
        "SELECT id, user_id FROM one_time_links WHERE token_hash = ? AND purpose = ?"
        " AND used_at IS NULL AND expires_at > ?",
        (token_hash, purpose, now),
    ).fetchone()
    return OneTimeLink(row["id"], purpose, row["user_id"]) if row else None


def use_one_time_link(conn: sqlite3.Connection, link_id: int, now: int) -> None:
    conn.execute("UPDATE one_time_links SET used_at = ? WHERE id = ?", (now, link_id))


def expire_links_of_user(conn: sqlite3.Connection, user_id: int, purpose: str, now: int) -> None:
    conn.execute(
        "UPDATE one_time_links SET used_at = ?"
        " WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
        (now, user_id, purpose),
    )
