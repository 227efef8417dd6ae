"""SQL for federation policy: what we think of each server, and who follows whom."""

from __future__ import annotations

import json
import sqlite3

from node.models.federation import Follow, FollowWithActor, PeerHost
from node.storage.remote_actors import _actor


def _peer(row: sqlite3.Row) -> PeerHost:
    return PeerHost(
        row["host"], row["policy"], row["signature_scheme"], row["note"], row["updated_at"]
    )


def get_peer_host(conn: sqlite3.Connection, host: str) -> PeerHost | None:
    row = conn.execute("SELECT * FROM peer_hosts WHERE host = ?", (host,)).fetchone()
    return _peer(row) if row else None


def list_peer_hosts(conn: sqlite3.Connection) -> list[PeerHost]:
    return [_peer(r) for r in conn.execute("SELECT * FROM peer_hosts ORDER BY host")]


def put_peer_policy(conn: sqlite3.Connection, host: str, policy: str, note: str, now: int) -> None:
    conn.execute(
        "INSERT INTO peer_hosts (host, policy, note, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (host) DO UPDATE SET policy = excluded.policy, note = excluded.note,"
        " updated_at = excluded.updated_at",
        (host, policy, note, now),
    )


def put_signature_scheme(conn: sqlite3.Connection, host: str, scheme: str, now: int) -> None:
    conn.execute(
        "INSERT INTO peer_hosts (host, signature_scheme, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (host) DO UPDATE SET signature_scheme = excluded.signature_scheme",
        (host, scheme, now),
    )


def _follow(row: sqlite3.Row) -> Follow:
    return Follow(
        id=row["id"],
        direction=row["direction"],
        local_actor=row["local_actor"],
        remote_actor=row["remote_actor"],
        follow_activity=row["follow_activity"],
        state=row["state"],
        created_at=row["created_at"],
        decided_at=row["decided_at"],
    )


def put_follow(
    conn: sqlite3.Connection,
    direction: str,
    local_actor: str,
    remote_actor: str,
    follow_activity: str,
    state: str,
    now: int,
) -> Follow:
    """Record a follow; a repeated Follow replaces the earlier one (new activity id, state)."""
    conn.execute(
        "INSERT INTO follows (direction, local_actor, remote_actor, follow_activity, state,"
        " created_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (direction, local_actor, remote_actor) DO UPDATE SET"
        " follow_activity = excluded.follow_activity, state = excluded.state,"
        " decided_at = excluded.decided_at",
        (
            direction,
            local_actor,
            remote_actor,
            follow_activity,
            state,
            now,
            now if state != "pending" else None,
        ),
    )
    return get_follow(conn, direction, local_actor, remote_actor)  # type: ignore[return-value]


def get_follow(
    conn: sqlite3.Connection, direction: str, local_actor: str, remote_actor: str
) -> Follow | None:
    row = conn.execute(
        "SELECT * FROM follows WHERE direction = ? AND local_actor = ? AND remote_actor = ?",
        (direction, local_actor, remote_actor),
    ).fetchone()
    return _follow(row) if row else None


def get_follow_by_id(conn: sqlite3.Connection, follow_id: int) -> Follow | None:
    row = conn.execute("SELECT * FROM follows WHERE id = ?", (follow_id,)).fetchone()
    return _follow(row) if row else None


def get_follow_by_activity(conn: sqlite3.Connection, activity_uri: str) -> Follow | None:
    row = conn.execute(
        "SELECT * FROM follows WHERE follow_activity = ?", (activity_uri,)
    ).fetchone()
    return _follow(row) if row else None


def update_follow_state(conn: sqlite3.Connection, follow_id: int, state: str, now: int) -> None:
    conn.execute(
        "UPDATE follows SET state = ?, decided_at = ? WHERE id = ?", (state, now, follow_id)
    )


def delete_follow(conn: sqlite3.Connection, follow_id: int) -> None:
    conn.execute("DELETE FROM follows WHERE id = ?", (follow_id,))


def list_follows(
    conn: sqlite3.Connection,
    direction: str,
    state: str | None = None,
    local_actor: str | None = None,
    with_documents: bool = True,
) -> list[FollowWithActor]:
    """Follows with their remote actor. Without documents, `actor.document` is empty: a city
    listing 10,000 followers to address them would otherwise read ~30 MB of actor JSON."""
    document = "a.document" if with_documents else "'' AS document"
    sql = (
        "SELECT f.*, a.uri AS a_uri, a.host, a.type, a.preferred_username, a.name, a.inbox,"
        f" a.shared_inbox, {document}, a.fetched_at FROM follows f"
        " LEFT JOIN remote_actors a ON a.uri = f.remote_actor WHERE f.direction = ?"
    )
    params: list = [direction]
    if state is not None:
        sql += " AND f.state = ?"
        params.append(state)
    if local_actor is not None:
        sql += " AND f.local_actor = ?"
        params.append(local_actor)
    rows = conn.execute(sql + " ORDER BY f.created_at DESC", params).fetchall()
    result = []
    for row in rows:
        actor = None
        if row["a_uri"] is not None:
            actor = _actor({**dict(row), "uri": row["a_uri"]})  # type: ignore[arg-type]
        result.append(FollowWithActor(_follow(row), actor))
    return result


# The neighbourhoods (`Group`s) of other nodes that follow a local actor: where a city object
# "to every neighbourhood" goes. A subquery, so that targets and deliveries are chosen in SQL
# and a city with 10,000 followers never holds them in memory to publish.
FOLLOWER_GROUPS_SQL = (
    "SELECT f.remote_actor FROM follows f JOIN remote_actors a ON a.uri = f.remote_actor"
    " WHERE f.direction = 'inbound' AND f.state = 'accepted' AND f.local_actor = ?"
    " AND a.type = 'Group'"
)


def count_follower_groups(conn: sqlite3.Connection, local_actor: str) -> int:
    return conn.execute(f"SELECT count(*) FROM ({FOLLOWER_GROUPS_SQL})", (local_actor,)).fetchone()[
        0
    ]


def not_follower_groups(conn: sqlite3.Connection, local_actor: str, uris: list[str]) -> list[str]:
    """The `uris` that are not neighbourhoods following `local_actor`, in the order given."""
    rows = conn.execute(
        f"SELECT value FROM json_each(?) WHERE value NOT IN ({FOLLOWER_GROUPS_SQL}) ORDER BY key",
        (json.dumps(uris), local_actor),
    )
    return [row[0] for row in rows]


def count_follows(conn: sqlite3.Connection, direction: str, state: str, local_actor: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM follows WHERE direction = ? AND state = ? AND local_actor = ?",
        (direction, state, local_actor),
    ).fetchone()[0]


def is_followed_host(conn: sqlite3.Connection, host: str) -> bool:
    """True when we follow (or asked to follow) an actor on `host`, or one of its actors is an
    accepted follower of ours: the servers we talk to without an explicit allowlist entry."""
    row = conn.execute(
        "SELECT 1 FROM follows f JOIN remote_actors a ON a.uri = f.remote_actor"
        " WHERE a.host = ? AND (f.state = 'accepted'"
        " OR (f.direction = 'outbound' AND f.state = 'pending')) LIMIT 1",
        (host,),
    ).fetchone()
    return row is not None


def list_peer_inboxes(conn: sqlite3.Connection) -> list[str]:
    """Where every server we federate with receives: followers' and followed actors' inboxes
    (shared inboxes where they have one), each once."""
    rows = conn.execute(
        "SELECT DISTINCT coalesce(a.shared_inbox, a.inbox) FROM follows f"
        " JOIN remote_actors a ON a.uri = f.remote_actor WHERE f.state = 'accepted'"
    ).fetchall()
    return [row[0] for row in rows]
