"""SQL for posts: the feed, single posts, writing them, adjacency, help statistics.

Who may see a post is decided here, in WHERE clauses: a post is visible to a resident of
neighbourhood N when it is `visible` and either belongs to N or was shared with nearby
neighbourhoods by a neighbourhood adjacent to N. Every query that returns a post for a viewer
goes through `VISIBLE_TO_VIEWER`, so no route can show another neighbourhood's post.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from node.models.posts import (
    Category,
    Counts,
    FeedItem,
    FeedPage,
    FeedVisit,
    HelpRequestCounts,
    Neighbour,
    NewPost,
    OfferKind,
    Post,
    PostEvent,
    PostStatus,
)

# Named parameter :viewer_n is the viewer's neighbourhood id.
VISIBLE_TO_VIEWER = """
    p.status = 'visible' AND (
        p.neighbourhood_id = :viewer_n
        OR (p.shared_with_adjacent = 1 AND EXISTS (
            SELECT 1 FROM neighbourhood_adjacency a
            WHERE a.neighbourhood_id = :viewer_n AND a.adjacent_id = p.neighbourhood_id))
    )
"""

_NO_UPPER_BOUND = 2**63 - 1
_EXCERPT_SOURCE_CHARS = 400
EXCERPT_CHARS = 240


def excerpt_of(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A one-line excerpt: whitespace collapsed, cut on a word near `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _counts(row: sqlite3.Row) -> Counts:
    return Counts(
        comments=row["comment_count"],
        thanks=row["thanks_count"],
        like=row["like_count"],
        support=row["support_count"],
        views=row["view_count"],
    )


def _feed_item(row: sqlite3.Row) -> FeedItem:
    return FeedItem(
        id=row["id"],
        neighbourhood_id=row["neighbourhood_id"],
        neighbourhood_name=row["neighbourhood_name"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        category=Category(row["category"]),
        offer_kind=OfferKind(row["offer_kind"]) if row["offer_kind"] else None,
        title=row["title"],
        excerpt=excerpt_of(row["body_head"]),
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        shared_with_adjacent=bool(row["shared_with_adjacent"]),
        resolved_at=row["resolved_at"],
        counts=_counts(row),
        thumb_photo_id=row["thumb_photo_id"],
        event_starts_at=row["event_starts_at"],
    )


def _post(row: sqlite3.Row) -> Post:
    event = None
    if row["event_starts_at"] is not None:
        event = PostEvent(row["event_starts_at"], row["event_ends_at"], row["event_location"])
    return Post(
        id=row["id"],
        neighbourhood_id=row["neighbourhood_id"],
        neighbourhood_name=row["neighbourhood_name"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        category=Category(row["category"]),
        offer_kind=OfferKind(row["offer_kind"]) if row["offer_kind"] else None,
        title=row["title"],
        body=row["body"],
        body_html=row["body_html"],
        shared_with_adjacent=bool(row["shared_with_adjacent"]),
        status=PostStatus(row["status"]),
        resolved_at=row["resolved_at"],
        resolved_helper_id=row["resolved_helper_id"],
        resolved_helper_name=row["helper_name"],
        counts=_counts(row),
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        event=event,
    )


# -- the feed ---------------------------------------------------------------------------------


def _page_ids_sql(adjacent_count: int, category: bool) -> str:
    """The ids of one page: one index range scan per neighbourhood, merged by id.

    Each branch is its own LIMITed subquery so SQLite walks an index backwards and stops
    after `limit` rows, whatever the size of the neighbourhood; the outer ORDER BY merges.
    Each branch names its index: with statistics, the planner could otherwise prefer
    posts_feed for a shared branch and walk a neighbour's unshared posts to find shared ones.
    """
    if category:
        own = (
            "SELECT id FROM posts INDEXED BY posts_feed_by_category"
            " WHERE neighbourhood_id = ? AND category = ? AND status = 'visible' AND id < ?"
            " ORDER BY id DESC LIMIT ?"
        )
        shared = (
            "SELECT id FROM posts INDEXED BY posts_shared_by_category"
            " WHERE neighbourhood_id = ? AND category = ? AND shared_with_adjacent = 1"
            " AND status = 'visible' AND id < ? ORDER BY id DESC LIMIT ?"
        )
    else:
        own = (
            "SELECT id FROM posts INDEXED BY posts_feed"
            " WHERE neighbourhood_id = ? AND status = 'visible' AND id < ?"
            " ORDER BY id DESC LIMIT ?"
        )
        shared = (
            "SELECT id FROM posts INDEXED BY posts_shared"
            " WHERE shared_with_adjacent = 1 AND neighbourhood_id = ? AND id < ?"
            " AND status = 'visible' ORDER BY id DESC LIMIT ?"
        )
    branches = [f"SELECT id FROM ({own})"] + [f"SELECT id FROM ({shared})"] * adjacent_count
    return " UNION ALL ".join(branches) + " ORDER BY id DESC LIMIT ?"


def feed_sql(adjacent_count: int, category: bool) -> str:
    """The whole feed statement (exposed so the benchmark can EXPLAIN it)."""
    return f"""
        WITH page(id) AS MATERIALIZED ({_page_ids_sql(adjacent_count, category)})
        SELECT p.id, p.neighbourhood_id, n.name AS neighbourhood_name, p.author_id,
               u.display_name AS author_name, p.category, p.offer_kind, p.title,
               substr(p.body, 1, {_EXCERPT_SOURCE_CHARS}) AS body_head,
               p.created_at, p.edited_at, p.shared_with_adjacent, p.resolved_at,
               p.comment_count, p.thanks_count, p.like_count, p.support_count, p.view_count,
               (SELECT ph.id FROM post_photos ph WHERE ph.post_id = p.id
                 ORDER BY ph.position LIMIT 1) AS thumb_photo_id,
               e.starts_at AS event_starts_at
        FROM page
        JOIN posts p ON p.id = page.id
        JOIN neighbourhoods n ON n.id = p.neighbourhood_id
        LEFT JOIN users u ON u.id = p.author_id
        LEFT JOIN post_events e ON e.post_id = p.id
        ORDER BY p.id DESC
    """


def feed_params(
    neighbourhood_id: int,
    adjacent_ids: Iterable[int],
    category: str | None,
    before: int | None,
    limit: int,
) -> list:
    upper = before if before is not None else _NO_UPPER_BOUND
    params: list = []
    for nid in (neighbourhood_id, *adjacent_ids):
        params += [nid, category, upper, limit] if category else [nid, upper, limit]
    params.append(limit)
    return params


def list_feed_by_neighbourhood(
    conn: sqlite3.Connection,
    neighbourhood_id: int,
    adjacent_ids: tuple[int, ...],
    category: str | None,
    before: int | None,
    page_size: int,
) -> FeedPage:
    """One page of the feed, newest first: own posts and those shared by adjacent ones."""
    limit = page_size + 1  # one more tells whether an older page exists
    rows = conn.execute(
        feed_sql(len(adjacent_ids), category is not None),
        feed_params(neighbourhood_id, adjacent_ids, category, before, limit),
    ).fetchall()
    items = tuple(_feed_item(row) for row in rows[:page_size])
    return FeedPage(items=items, has_more=len(rows) > page_size)


def list_adjacent_ids(conn: sqlite3.Connection, neighbourhood_id: int) -> tuple[int, ...]:
    rows = conn.execute(
        "SELECT adjacent_id FROM neighbourhood_adjacency WHERE neighbourhood_id = ?"
        " ORDER BY adjacent_id",
        (neighbourhood_id,),
    ).fetchall()
    return tuple(row[0] for row in rows)


def list_adjacency(conn: sqlite3.Connection) -> dict[int, tuple[int, ...]]:
    """Every neighbourhood's adjacent ones (admin page)."""
    result: dict[int, list[int]] = {}
    for row in conn.execute(
        "SELECT neighbourhood_id, adjacent_id FROM neighbourhood_adjacency"
        " ORDER BY neighbourhood_id, adjacent_id"
    ):
        result.setdefault(row[0], []).append(row[1])
    return {key: tuple(value) for key, value in result.items()}


def update_adjacency(
    conn: sqlite3.Connection, neighbourhood_id: int, adjacent_ids: Iterable[int]
) -> None:
    """Make `adjacent_ids` exactly the neighbours of `neighbourhood_id`, both ways round."""
    conn.execute(
        "DELETE FROM neighbourhood_adjacency WHERE neighbourhood_id = ? OR adjacent_id = ?",
        (neighbourhood_id, neighbourhood_id),
    )
    pairs = []
    for other in set(adjacent_ids) - {neighbourhood_id}:
        pairs += [(neighbourhood_id, other), (other, neighbourhood_id)]
    conn.executemany(
        "INSERT INTO neighbourhood_adjacency (neighbourhood_id, adjacent_id) VALUES (?, ?)", pairs
    )


def count_active_residents(conn: sqlite3.Connection, neighbourhood_id: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM users WHERE neighbourhood_id = ? AND status = 'active'",
        (neighbourhood_id,),
    ).fetchone()[0]


# -- feed visits ------------------------------------------------------------------------------


def get_feed_visit_by_user(conn: sqlite3.Connection, user_id: int) -> FeedVisit | None:
    row = conn.execute(
        "SELECT user_id, previous_visit_at, last_visit_at FROM feed_visits WHERE user_id = ?",
        (user_id,),
    ).fetchone()
    return FeedVisit(row[0], row[1], row[2]) if row else None


def put_feed_visit(conn: sqlite3.Connection, visit: FeedVisit) -> None:
    conn.execute(
        "INSERT INTO feed_visits (user_id, previous_visit_at, last_visit_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET previous_visit_at = excluded.previous_visit_at,"
        " last_visit_at = excluded.last_visit_at",
        (visit.user_id, visit.previous_visit_at, visit.last_visit_at),
    )


# -- single posts -----------------------------------------------------------------------------

_POST_SELECT = """
    SELECT p.*, n.name AS neighbourhood_name, u.display_name AS author_name,
           h.display_name AS helper_name, e.starts_at AS event_starts_at,
           e.ends_at AS event_ends_at, e.location AS event_location
    FROM posts p
    JOIN neighbourhoods n ON n.id = p.neighbourhood_id
    LEFT JOIN users u ON u.id = p.author_id
    LEFT JOIN users h ON h.id = p.resolved_helper_id
    LEFT JOIN post_events e ON e.post_id = p.id
"""


def get_post_by_id(conn: sqlite3.Connection, post_id: int) -> Post | None:
    """A post whatever its status and whoever asks (moderation, statistics)."""
    row = conn.execute(_POST_SELECT + " WHERE p.id = :id", {"id": post_id}).fetchone()
    return _post(row) if row else None


def get_visible_post_by_id(
    conn: sqlite3.Connection, post_id: int, viewer_neighbourhood_id: int
) -> Post | None:
    """The post if a resident of `viewer_neighbourhood_id` may see it, else None."""
    row = conn.execute(
        _POST_SELECT + f" WHERE p.id = :id AND {VISIBLE_TO_VIEWER}",
        {"id": post_id, "viewer_n": viewer_neighbourhood_id},
    ).fetchone()
    return _post(row) if row else None


def put_post(
    conn: sqlite3.Connection, neighbourhood_id: int, author_id: int, post: NewPost, now: int
) -> int:
    cur = conn.execute(
        "INSERT INTO posts (neighbourhood_id, author_id, category, offer_kind, title, body,"
        " body_html, shared_with_adjacent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            neighbourhood_id,
            author_id,
            post.category.value,
            post.offer_kind.value if post.offer_kind else None,
            post.title,
            post.body,
            post.body_html,
            int(post.shared_with_adjacent),
            now,
        ),
    )
    return cur.lastrowid


def update_post(conn: sqlite3.Connection, post_id: int, post: NewPost, now: int) -> None:
    conn.execute(
        "UPDATE posts SET category = ?, offer_kind = ?, title = ?, body = ?, body_html = ?,"
        " shared_with_adjacent = ?, edited_at = ? WHERE id = ?",
        (
            post.category.value,
            post.offer_kind.value if post.offer_kind else None,
            post.title,
            post.body,
            post.body_html,
            int(post.shared_with_adjacent),
            now,
            post_id,
        ),
    )


def delete_post(conn: sqlite3.Connection, post_id: int, now: int) -> None:
    """Mark deleted and clear what the author wrote (the row stays for counts and links)."""
    conn.execute(
        "UPDATE posts SET status = 'deleted', title = '', body = '', body_html = '',"
        " edited_at = ? WHERE id = ?",
        (now, post_id),
    )
    conn.execute("DELETE FROM post_events WHERE post_id = ?", (post_id,))
    conn.execute("DELETE FROM rsvps WHERE post_id = ?", (post_id,))


def update_post_resolved(
    conn: sqlite3.Connection, post_id: int, helper_id: int | None, now: int
) -> None:
    conn.execute(
        "UPDATE posts SET resolved_at = ?, resolved_helper_id = ? WHERE id = ?",
        (now, helper_id, post_id),
    )


# -- help requests ----------------------------------------------------------------------------


def list_helper_candidates_by_post(
    conn: sqlite3.Connection, post_id: int, author_id: int | None
) -> list[Neighbour]:
    """Active residents who commented on or reacted to a post, its author aside."""
    rows = conn.execute(
        """
        SELECT u.id, u.display_name FROM users u
        WHERE u.status = 'active' AND u.id IS NOT ?
          AND u.id IN (SELECT author_id FROM comments WHERE post_id = ? AND status = 'visible'
                       UNION SELECT user_id FROM reactions WHERE post_id = ?)
        ORDER BY u.display_name COLLATE NOCASE
        """,
        (author_id, post_id, post_id),
    ).fetchall()
    return [Neighbour(row[0], row[1]) for row in rows]


def list_neighbours_by_name(
    conn: sqlite3.Connection, neighbourhood_id: int, name: str, except_id: int | None = None
) -> list[Neighbour]:
    """Active residents and moderators of a neighbourhood with this display name (any case)."""
    rows = conn.execute(
        "SELECT id, display_name FROM users WHERE neighbourhood_id = ? AND status = 'active'"
        " AND role IN ('resident', 'moderator') AND display_name = ? COLLATE NOCASE"
        " AND id IS NOT ?",
        (neighbourhood_id, name, except_id),
    ).fetchall()
    return [Neighbour(row[0], row[1]) for row in rows]


def get_neighbour_by_id(
    conn: sqlite3.Connection, user_id: int, neighbourhood_id: int
) -> Neighbour | None:
    row = conn.execute(
        "SELECT id, display_name FROM users WHERE id = ? AND neighbourhood_id = ?"
        " AND status = 'active' AND role IN ('resident', 'moderator')",
        (user_id, neighbourhood_id),
    ).fetchone()
    return Neighbour(row[0], row[1]) if row else None


def list_help_request_counts(conn: sqlite3.Connection) -> list[HelpRequestCounts]:
    """Per neighbourhood: help requests asked (not deleted), resolved, and with a named helper.

    Counts only, for the statistics sent to the city. Each neighbourhood is one range of
    the posts_feed_by_category index.
    """
    rows = conn.execute(
        """
        SELECT n.id,
               (SELECT count(*) FROM posts p WHERE p.neighbourhood_id = n.id
                  AND p.category = 'help_request' AND p.status IN ('visible', 'hidden')),
               (SELECT count(*) FROM posts p WHERE p.neighbourhood_id = n.id
                  AND p.category = 'help_request' AND p.status IN ('visible', 'hidden')
                  AND p.resolved_at IS NOT NULL),
               (SELECT count(*) FROM posts p WHERE p.neighbourhood_id = n.id
                  AND p.category = 'help_request' AND p.status IN ('visible', 'hidden')
                  AND p.resolved_helper_id IS NOT NULL)
        FROM neighbourhoods n ORDER BY n.id
        """
    ).fetchall()
    return [HelpRequestCounts(row[0], row[1], row[2], row[3]) for row in rows]
