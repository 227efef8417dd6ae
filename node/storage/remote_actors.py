"""SQL for other servers' actors and their public keys, as last fetched."""

from __future__ import annotations

import sqlite3

from node.models.federation import RemoteActor


def _actor(row: sqlite3.Row) -> RemoteActor:
    return RemoteActor(
        uri=row["uri"],
        host=row["host"],
        type=row["type"],
        preferred_username=row["preferred_username"],
        name=row["name"],
        inbox=row["inbox"],
        shared_inbox=row["shared_inbox"],
        document=row["document"],
        fetched_at=row["fetched_at"],
    )


def put_remote_actor(conn: sqlite3.Connection, actor: RemoteActor, keys: dict[str, str]) -> None:
    """Store (or refresh) an actor and replace its keys: {key_id: public key PEM}."""
    conn.execute(
        "INSERT INTO remote_actors (uri, host, type, preferred_username, name, inbox,"
        " shared_inbox, document, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (uri) DO UPDATE SET host = excluded.host, type = excluded.type,"
        " preferred_username = excluded.preferred_username, name = excluded.name,"
        " inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,"
        " document = excluded.document, fetched_at = excluded.fetched_at",
        (
            actor.uri,
            actor.host,
            actor.type,
            actor.preferred_username,
            actor.name,
            actor.inbox,
            actor.shared_inbox,
            actor.document,
            actor.fetched_at,
        ),
    )
    conn.execute("DELETE FROM remote_keys WHERE actor_uri = ?", (actor.uri,))
    conn.executemany(
        "INSERT OR REPLACE INTO remote_keys (key_id, actor_uri, public_key_pem, fetched_at)"
        " VALUES (?, ?, ?, ?)",
        [(key_id, actor.uri, pem, actor.fetched_at) for key_id, pem in keys.items()],
    )


def get_remote_actor_by_uri(conn: sqlite3.Connection, uri: str) -> RemoteActor | None:
    row = conn.execute("SELECT * FROM remote_actors WHERE uri = ?", (uri,)).fetchone()
    return _actor(row) if row else None


def list_remote_actors_by_uris(conn: sqlite3.Connection, uris: list[str]) -> list[RemoteActor]:
    if not uris:
        return []
    marks = ",".join("?" * len(uris))
    rows = conn.execute(f"SELECT * FROM remote_actors WHERE uri IN ({marks})", uris).fetchall()
    return [_actor(row) for row in rows]


def get_key_by_id(conn: sqlite3.Connection, key_id: str) -> tuple[str, str] | None:
    """(owner actor URI, public key PEM) of a known key."""
    row = conn.execute(
        "SELECT actor_uri, public_key_pem FROM remote_keys WHERE key_id = ?", (key_id,)
    ).fetchone()
    return (row["actor_uri"], row["public_key_pem"]) if row else None
