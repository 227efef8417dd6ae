"""The feed's SQL walks index ranges, never a neighbourhood's whole history; help counts."""

from __future__ import annotations

import sqlite3

import pytest

from node.storage import posts as posts_store
from node.storage.database import open_connection
from node.storage.migrations import apply_migrations


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """One database for the module (building it is the slow part); tests only read it."""
    connection = open_connection(tmp_path_factory.mktemp("feed") / "posts.sqlite3")
    apply_migrations(connection)
    connection.executemany(
        "INSERT INTO neighbourhoods (id, slug, name, created_at) VALUES (?, ?, ?, 0)",
        [(1, "centre", "Centre"), (2, "nord", "Nord"), (3, "sud", "Sud")],
    )
    connection.execute(
        "INSERT INTO users (id, email, display_name, role, neighbourhood_id, created_at)"
        " VALUES (1, 'a@example.org', 'Alice', 'resident', 1, 0)"
    )
    rows = []
    for n in range(3000):
        category = ("help_request", "offer", "tip", "general")[n % 4]
        rows.append((1 + n % 3, category, f"Post {n}", n % 10 == 0, n % 50 == 0, n))
    connection.executemany(
        "INSERT INTO posts (neighbourhood_id, author_id, category, title, shared_with_adjacent,"
        " resolved_at, created_at) VALUES (?, 1, ?, ?, ?, CASE WHEN ? THEN 1 END, ?)",
        rows,
    )
    posts_store.update_adjacency(connection, 1, [2, 3])
    connection.execute("ANALYZE")
    return connection


def _plan(conn, adjacent: int, category: str | None) -> list[str]:
    sql = posts_store.feed_sql(adjacent, category is not None)
    params = posts_store.feed_params(1, list(range(2, 2 + adjacent)), category, None, 21)
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


@pytest.mark.parametrize("category", [None, "tip"])
def test_each_branch_of_the_feed_is_an_index_range_and_the_branches_merge(conn, category):
    plan = _plan(conn, 2, category)
    searches = [step for step in plan if step.startswith("SEARCH posts ")]
    assert len(searches) == 3, plan
    assert all(" USING " in step and "INDEX" in step and "id<?" in step for step in searches)
    assert not any(step.startswith("SCAN posts") for step in plan), plan
    assert any("MERGE (UNION ALL)" in step for step in plan)


def test_the_feed_reads_a_bounded_number_of_rows(conn):
    # A progress handler counts virtual machine steps: a page costs the same at 3,000 posts
    # as it would at 150,000, because no step walks the whole table.
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 100)
    page = posts_store.list_feed_by_neighbourhood(conn, 1, (2, 3), None, None, 20)
    conn.set_progress_handler(None, 0)
    assert len(page.items) == 20 and page.has_more
    assert steps < 100  # fewer than 10,000 VM instructions for the whole page


def test_pages_by_before_and_category_and_adjacent_sharing(conn):
    first = posts_store.list_feed_by_neighbourhood(conn, 1, (2,), None, None, 20)
    second = posts_store.list_feed_by_neighbourhood(conn, 1, (2,), None, first.next_before, 20)
    ids = [item.id for item in first.items + second.items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 40
    # Own posts, plus Nord's shared ones, never Nord's unshared or Sud's
    for item in first.items + second.items:
        assert item.neighbourhood_id == 1 or (
            item.neighbourhood_id == 2 and item.shared_with_adjacent
        )
    tips = posts_store.list_feed_by_neighbourhood(conn, 1, (2,), "tip", None, 20)
    assert {item.category.value for item in tips.items} == {"tip"}


def test_help_request_counts_per_neighbourhood(conn):
    conn.execute("BEGIN")  # rolled back below: the module's other tests share the data
    conn.execute("UPDATE posts SET resolved_helper_id = 1 WHERE id = 1")
    conn.execute("UPDATE posts SET status = 'deleted' WHERE id = 4")
    counts = {c.neighbourhood_id: c for c in posts_store.list_help_request_counts(conn)}
    expected = conn.execute(
        "SELECT count(*), count(resolved_at) FROM posts WHERE neighbourhood_id = 1"
        " AND category = 'help_request' AND status != 'deleted'"
    ).fetchone()
    assert (counts[1].total, counts[1].resolved) == tuple(expected)
    assert counts[1].with_helper == 1
    assert set(counts) == {1, 2, 3}
    conn.execute("ROLLBACK")
