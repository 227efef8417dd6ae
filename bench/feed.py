"""Benchmark: the first page of a big neighbourhood's feed, through real HTTP.

Builds a fresh node whose neighbourhood holds 150,000 posts (about ten years of Mechelen at
~1,250 posts a month), with two adjacent neighbourhoods sharing some of theirs, then times
GET /neighbourhood for a signed-in resident, one request at a time:

- cold: the feed cache is emptied before every request (the database answers each time);
- warm: the cached first page and its rendered markup; the reader's own marks ("New", own
  reactions), session and unread count from memory until the next write;
- a hello-world aiohttp app on the same machine, in the same run, as the floor.

    .venv/bin/python bench/feed.py [--posts 150000] [--requests 300]

The rows are generated with plain sqlite3 executemany: this is set-up, not product code.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hello_world import hello_app
from node.api.app_keys import ACCOUNTS, POSTS
from node.api.middlewares import SESSION_COOKIE
from node.app import create_app
from node.bootstrap import init_node
from node.storage import posts as posts_store
from node.storage.users import get_user_by_email

YEAR = 365 * 86_400
WORDS = [
    "ladder",
    "buurt",
    "voisin",
    "help",
    "merci",
    "dank",
    "fiets",
    "vélo",
    "chat",
    "kat",
    "perdu",
    "gevonden",
    "rue",
    "straat",
    "samedi",
    "zaterdag",
    "soirée",
    "feest",
    "jardin",
    "tuin",
    "outil",
    "gereedschap",
    "boîte",
    "doos",
    "café",
    "koffie",
    "enfants",
    "kinderen",
    "école",
    "school",
    "parc",
    "park",
    "travaux",
    "werken",
    "chaussée",
    "steenweg",
    "bus",
    "tram",
    "marché",
    "markt",
    "pain",
    "brood",
    "soupe",
    "soep",
    "voisine",
    "buren",
    "demain",
    "morgen",
    "avec",
    "met",
    "pour",
    "voor",
]
CATEGORIES = (
    ("help_request", 18),
    ("offer", 22),
    ("event", 6),
    ("tip", 14),
    ("lost_found", 10),
    ("public_space", 8),
    ("general", 22),
)


def _text(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    words: list[str] = []
    length = 0
    while length < target:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def _body(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return _text(rng, 40, 200)
    if roll < 0.8:
        return _text(rng, 200, 800)
    return _text(rng, 800, 3000)


def populate(db_path: Path, posts: int, seed: int = 7) -> None:
    """Neighbourhoods, 2,000 residents, `posts` posts and 20,000 in each adjacent one."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    now = int(time.time())
    conn.executemany(
        "INSERT INTO neighbourhoods (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
        [(1, "centrum", "Centrum", now), (2, "nekkerspoel", "Nekkerspoel", now),
         (3, "battel", "Battel", now)],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO users (id, email, display_name, role, neighbourhood_id, created_at)"
        " VALUES (?, ?, ?, 'resident', ?, ?)",
        [
            (i, f"r{i}@example.org", f"{rng.choice(WORDS).title()} {chr(65 + i % 26)}.",
             1 if i <= 2000 else 2 + i % 2, now - 10 * YEAR)
            for i in range(1, 2601)
        ],
    )  # fmt: skip
    posts_store.update_adjacency(conn, 1, [2, 3])
    categories = [c for c, weight in CATEGORIES for _ in range(weight)]
    rows, events, photos = [], [], []
    total = posts + 40_000
    start = now - 10 * YEAR
    for n in range(total):
        post_id = n + 1
        neighbourhood = 1 if rng.random() < posts / total else rng.choice((2, 3))
        author = rng.randint(1, 2000) if neighbourhood == 1 else rng.randint(2001, 2600)
        category = rng.choice(categories)
        body = _body(rng)
        created = start + int(10 * YEAR * n / total)
        status = "visible" if rng.random() > 0.01 else rng.choice(("hidden", "deleted"))
        resolved = created + 3600 if category == "help_request" and rng.random() < 0.459 else None
        rows.append(
            (
                post_id, neighbourhood, author, category,
                rng.choice(("lend", "give", "sell")) if category == "offer" else None,
                _text(rng, 15, 80)[:120], body, f"<p>{escape(body)}</p>\n",
                int(neighbourhood != 1 and rng.random() < 0.1), status, resolved,
                min(40, int(rng.expovariate(1 / 3))), int(rng.expovariate(1 / 2)),
                int(rng.expovariate(1 / 3)), int(rng.expovariate(1 / 1)), rng.randint(5, 600),
                created,
            )
        )  # fmt: skip
        if category == "event":
            events.append((post_id, created + 7 * 86_400, created + 7 * 86_400 + 7200, "Rue"))
        if rng.random() < 0.15:
            for position in range(rng.randint(1, 3)):
                name = f"{post_id}-{position}"
                photos.append((post_id, position, f"{name}.jpg", f"{name}-thumb.jpg", 2048, 1536))
    # FTS rows are built once at the end ('rebuild'), not row by row through the triggers.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.executemany(
        "INSERT INTO posts (id, neighbourhood_id, author_id, category, offer_kind, title, body,"
        " body_html, shared_with_adjacent, status, resolved_at, comment_count, thanks_count,"
        " like_count, support_count, view_count, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO post_events VALUES (?, ?, ?, ?)", events)
    conn.executemany(
        "INSERT INTO post_photos (post_id, position, file_name, thumb_name, width, height)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        photos,
    )
    conn.execute("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def explain(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    adjacent = posts_store.list_adjacent_ids(conn, 1)
    plan = []
    for category in (None, "help_request"):
        sql = posts_store.feed_sql(len(adjacent), category is not None)
        params = posts_store.feed_params(1, adjacent, category, None, 21)
        plan.append(f"-- category={category}")
        plan += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    conn.close()
    return plan


async def _time(session: aiohttp.ClientSession, url: str, n: int, before=None) -> list[float]:
    timings = []
    for _ in range(n):
        if before is not None:
            before()
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, response.status
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _row(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"| {name} | {len(timings)} | {statistics.median(ordered):.2f} | {p99:.2f} |"


async def run(posts: int, requests: int, keep: Path | None) -> None:
    scratch = tempfile.TemporaryDirectory()
    data_dir = (keep or Path(scratch.name)) / "node"
    config = init_node(data_dir, "http://127.0.0.1:8080", "Bench")
    started = time.perf_counter()
    populate(config.database_path, posts)
    print(f"populated {posts:,} posts (+40,000 adjacent) in {time.perf_counter() - started:.1f} s")

    hello_server = TestServer(hello_app())
    server = TestServer(create_app(config))
    await hello_server.start_server()
    await server.start_server()
    try:
        app = server.app
        conn = sqlite3.connect(config.database_path)
        user = get_user_by_email(_row_factory(conn), "r1@example.org")
        conn.close()
        token = await app[ACCOUNTS].start_session(user)
        posts_service = app[POSTS]
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({SESSION_COOKIE: token}, response_url=server.make_url("/"))
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            feed_url = server.make_url("/neighbourhood")
            body = await (await session.get(feed_url)).text()
            assert body.count('class="post-title"') == 20, "the feed did not render 20 posts"
            await _time(session, feed_url, 20)  # warm up both paths
            await _time(session, hello_server.make_url("/"), 50)
            results = [
                ("hello-world aiohttp", await _time(session, hello_server.make_url("/"), requests)),
                (
                    "feed, cold (cache emptied before each request)",
                    await _time(session, feed_url, requests, posts_service.cache.clear),
                ),
                ("feed, warm (cached first page)", await _time(session, feed_url, requests)),
                (
                    "feed ?category=help_request, cold",
                    await _time(
                        session,
                        server.make_url("/neighbourhood?category=help_request"),
                        requests,
                        posts_service.cache.clear,
                    ),
                ),
                (
                    "API /api/v1/feed, cold",
                    await _time_api(app, server, user, requests, posts_service.cache.clear),
                ),
            ]
    finally:
        await server.close()
        await hello_server.close()
    print()
    print(f"Single reader, sequential requests over HTTP on 127.0.0.1; {posts:,} posts.")
    print()
    print("| request | n | median ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for name, timings in results:
        print(_row(name, timings))
    print()
    print("Feed query plan (EXPLAIN QUERY PLAN):")
    for line in explain(config.database_path):
        print("    " + line)
    scratch.cleanup()


def _row_factory(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.row_factory = sqlite3.Row
    return conn


async def _time_api(app, server, user, requests: int, before) -> list[float]:
    _, secret = await app[ACCOUNTS].create_api_token(user, "bench")
    headers = {"Authorization": f"Bearer {secret}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        return await _time(session, server.make_url("/api/v1/feed"), requests, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build the node here and keep it")
    args = parser.parse_args()
    asyncio.run(run(args.posts, args.requests, args.keep))


if __name__ == "__main__":
    main()
