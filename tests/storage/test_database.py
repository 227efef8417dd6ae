"""The database: pragmas on every connection, one transaction per write, readers beside a writer.

Threads are coordinated with events and barriers (each wait bounded), never with sleeps.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from node.bootstrap import migrate_database
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage.database import Database, open_connection

WAIT = 10  # seconds: only reached when something is broken

EXPECTED_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1}


def pragmas(conn: sqlite3.Connection) -> dict:
    return {
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "foreign_keys": conn.execute("PRAGMA foreign_keys").fetchone()[0],
        "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        "busy_timeout": conn.execute("PRAGMA busy_timeout").fetchone()[0],
    }


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    return path


@pytest.fixture
async def db(path):
    db = await Database.open(path, busy_timeout_ms=1234, readers=3)
    yield db
    await db.close()


def add_neighbourhood(conn: sqlite3.Connection, slug: str) -> None:
    neighbourhoods_store.put_neighbourhood(conn, slug, slug.title(), 0)


def count(conn: sqlite3.Connection) -> int:
    return neighbourhoods_store.count_neighbourhoods(conn)


def test_a_plain_connection_has_the_pragmas(path):
    conn = open_connection(path, busy_timeout_ms=2500)
    try:
        assert pragmas(conn) == {**EXPECTED_PRAGMAS, "busy_timeout": 2500}
    finally:
        conn.close()


async def test_every_reader_and_the_writer_have_the_pragmas(db):
    # Given three readers: three reads that wait for each other must run on three connections
    barrier = threading.Barrier(3, timeout=WAIT)

    def on_reader(conn):
        barrier.wait()
        return threading.current_thread().name, pragmas(conn)

    # When each connection reports its pragmas
    seen = await asyncio.gather(*(db.read("pragmas", on_reader) for _ in range(3)))
    writer = await db.write("pragmas", lambda conn: pragmas(conn))

    # Then every one of them runs WAL, checks foreign keys, syncs normally, waits for locks
    assert len({name for name, _ in seen}) == 3
    expected = {**EXPECTED_PRAGMAS, "busy_timeout": 1234}
    assert [p for _, p in seen] == [expected] * 3
    assert writer == expected


async def test_foreign_keys_are_enforced(db):
    def orphan(conn):
        conn.execute(
            "INSERT INTO households (neighbourhood_id, street, number, postcode, municipality,"
            " address_key, created_at) VALUES (999, 'Rue', '1', '7000', 'Mons', 'k', 0)"
        )

    with pytest.raises(sqlite3.IntegrityError):
        await db.write("orphan", orphan)


async def test_a_write_that_fails_leaves_nothing_behind(db):
    # Given a write that adds two neighbourhoods and then fails
    def half_done(conn):
        add_neighbourhood(conn, "centre")
        add_neighbourhood(conn, "nimy")
        raise ValueError("the import found a bad line")

    # When it runs
    with pytest.raises(ValueError, match="bad line"):
        await db.write("half_done", half_done)

    # Then neither neighbourhood exists, and the next write works normally
    assert await db.read("count", count) == 0
    await db.write("add", add_neighbourhood, "centre")
    assert await db.read("count", count) == 1


async def test_a_read_that_fails_does_not_spoil_its_connection(db):
    def broken(conn):
        conn.execute("SELECT * FROM no_such_table")

    for _ in range(4):  # more than there are readers: every reader has failed once
        with pytest.raises(sqlite3.OperationalError):
            await db.read("broken", broken)

    await db.write("add", add_neighbourhood, "centre")
    assert await asyncio.gather(*(db.read("count", count) for _ in range(6))) == [1] * 6


async def test_reads_run_while_a_write_is_in_progress(db):
    # Given a neighbourhood, and a write that is half done
    await db.write("add", add_neighbourhood, "centre")
    inside, release = threading.Event(), threading.Event()

    def slow_write(conn):
        add_neighbourhood(conn, "nimy")
        inside.set()
        assert release.wait(WAIT)

    writing = asyncio.create_task(db.write("slow", slow_write))
    try:
        assert await asyncio.to_thread(inside.wait, WAIT)

        # When residents read meanwhile
        counts = await asyncio.wait_for(
            asyncio.gather(*(db.read("count", count) for _ in range(5))), WAIT
        )

        # Then they are answered at once, with what was committed
        assert counts == [1] * 5
        assert not writing.done()
    finally:
        release.set()
    await writing
    assert await db.read("count", count) == 2


async def test_a_write_commits_while_a_reader_holds_its_snapshot(db):
    # Given a reader in the middle of a read transaction
    await db.write("add", add_neighbourhood, "centre")
    started, release = threading.Event(), threading.Event()

    def long_read(conn):
        first = count(conn)
        started.set()
        assert release.wait(WAIT)
        return first, count(conn)

    reading = asyncio.create_task(db.read("long", long_read))
    try:
        assert await asyncio.to_thread(started.wait, WAIT)

        # When a write commits meanwhile (WAL: it need not wait for the reader)
        await asyncio.wait_for(db.write("add", add_neighbourhood, "nimy"), WAIT)
        assert not reading.done()
    finally:
        release.set()

    # Then the reader saw one consistent moment, and later reads see the write
    assert await reading == (1, 1)
    assert await db.read("count", count) == 2


async def test_interactions_are_counted_by_name(db):
    await db.write("add", add_neighbourhood, "centre")
    await db.read("count", count)
    await db.read("count", count)

    assert db.interaction_counts["add"] == 1
    assert db.interaction_counts["count"] == 2
