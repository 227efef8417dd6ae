"""SQL for full-text search over posts (FTS5 table posts_fts, kept in step by triggers)."""

from __future__ import annotations

import logging
import sqlite3

from node.models.posts import SNIPPET_MARK_END, SNIPPET_MARK_START, Category, SearchHit
from node.storage.posts import VISIBLE_TO_VIEWER

log = logging.getLogger(__name__)


def search_posts(
    conn: sqlite3.Connection, match: str, viewer_neighbourhood_id: int, limit: int
) -> list[SearchHit]:
    """Posts matching an FTS5 expression that a resident may see, best first.

    `match` must already be a safe expression (quoted terms). A malformed one is logged
    and answers nothing rather than an error: search input is typed by anyone.
    """
    try:
        rows = conn.execute(
            f"""
            SELECT p.id, p.title, p.category, p.created_at, u.display_name AS author_name,
                   n.name AS neighbourhood_name,
                   snippet(posts_fts, 1, :mark_start, :mark_end, '…', 16) AS snippet
            FROM posts_fts
            JOIN posts p ON p.id = posts_fts.rowid
            JOIN neighbourhoods n ON n.id = p.neighbourhood_id
            LEFT JOIN users u ON u.id = p.author_id
            WHERE posts_fts MATCH :match AND {VISIBLE_TO_VIEWER}
            ORDER BY posts_fts.rank
            LIMIT :limit
            """,
            {
                "match": match,
                "viewer_n": viewer_neighbourhood_id,
                "limit": limit,
                "mark_start": SNIPPET_MARK_START,
                "mark_end": SNIPPET_MARK_END,
            },
        ).fetchall()
    except sqlite3.OperationalError as exc:
        log.warning("search expression refused by FTS5: %s", exc)
        return []
    return [
        SearchHit(
            post_id=row["id"],
            title=row["title"],
            category=Category(row["category"]),
            author_name=row["author_name"],
            created_at=row["created_at"],
            neighbourhood_name=row["neighbourhood_name"],
            snippet=row["snippet"] or "",
        )
        for row in rows
    ]
