"""SQL for the photos of posts (the image files themselves live under DATA/uploads/)."""

from __future__ import annotations

import sqlite3

from node.models.posts import Photo
from node.storage.posts import VISIBLE_TO_VIEWER


def _photo(row: sqlite3.Row) -> Photo:
    return Photo(
        id=row["id"],
        post_id=row["post_id"],
        position=row["position"],
        file_name=row["file_name"],
        thumb_name=row["thumb_name"],
        width=row["width"],
        height=row["height"],
    )


def list_photos_by_post(conn: sqlite3.Connection, post_id: int) -> list[Photo]:
    rows = conn.execute(
        "SELECT * FROM post_photos WHERE post_id = ? ORDER BY position", (post_id,)
    ).fetchall()
    return [_photo(row) for row in rows]


def get_visible_photo_by_id(
    conn: sqlite3.Connection, photo_id: int, viewer_neighbourhood_id: int
) -> Photo | None:
    """The photo, if its post is one a resident of that neighbourhood may see."""
    row = conn.execute(
        f"SELECT ph.* FROM post_photos ph JOIN posts p ON p.id = ph.post_id"
        f" WHERE ph.id = :id AND {VISIBLE_TO_VIEWER}",
        {"id": photo_id, "viewer_n": viewer_neighbourhood_id},
    ).fetchone()
    return _photo(row) if row else None


def put_photo(
    conn: sqlite3.Connection,
    post_id: int,
    file_name: str,
    thumb_name: str,
    width: int,
    height: int,
) -> Photo:
    """Add a photo after the post's last one."""
    position = conn.execute(
        "SELECT coalesce(max(position), -1) + 1 FROM post_photos WHERE post_id = ?", (post_id,)
    ).fetchone()[0]
    cur = conn.execute(
        "INSERT INTO post_photos (post_id, position, file_name, thumb_name, width, height)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (post_id, position, file_name, thumb_name, width, height),
    )
    return Photo(cur.lastrowid, post_id, position, file_name, thumb_name, width, height)


def delete_photos(
    conn: sqlite3.Connection, post_id: int, photo_ids: list[int] | None
) -> list[Photo]:
    """Remove some (or, with None, all) photos of a post; return them so files can go too."""
    photos = [
        p for p in list_photos_by_post(conn, post_id) if photo_ids is None or p.id in photo_ids
    ]
    conn.executemany("DELETE FROM post_photos WHERE id = ?", [(p.id,) for p in photos])
    return photos
