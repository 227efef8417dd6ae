"""Group commit on a real database: concurrent callers share transactions, each gets its own
answer, and one bad item fails only its own caller."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from node.bootstrap import migrate_database
from node.models import Neighbourhood
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage.database import Database
from node.storage.grouped_writes import GroupedWrites


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    db = await Database.open(path)
    yield db
    await db.close()


def add_neighbourhoods(conn: sqlite3.Connection, slugs: list[str]) -> list[Neighbourhood]:
    """One neighbourhood per slug; a slug already taken breaks the whole transaction."""
    return [neighbourhoods_store.put_neighbourhood(conn, slug, slug.title(), 0) for slug in slugs]


async def slugs(db: Database) -> list[str]:
    listed = await db.read("list", neighbourhoods_store.list_neighbourhoods)
    return sorted(n.slug for n in listed)


async def test_concurrent_callers_share_transactions_and_each_gets_its_answer(db):
    writes = GroupedWrites(db, "add_neighbourhoods", add_neighbourhoods)
    before = db.committed_writes
    added = await asyncio.gather(*(writes.submit(f"n{i:03}") for i in range(200)))
    assert [n.slug for n in added] == [f"n{i:03}" for i in range(200)]
    assert len({n.id for n in added}) == 200
    assert await slugs(db) == [f"n{i:03}" for i in range(200)]
    # The first went alone; the 199 that queued meanwhile shared a few transactions.
    assert db.committed_writes - before < 10


async def test_one_bad_item_fails_only_its_caller(db):
    writes = GroupedWrites(db, "add_neighbourhoods", add_neighbourhoods)
    await writes.submit("taken")
    results = await asyncio.gather(
        *(writes.submit(slug) for slug in ["a", "b", "taken", "c", "d"]), return_exceptions=True
    )
    assert [isinstance(r, sqlite3.IntegrityError) for r in results] == [
        False,
        False,
        True,
        False,
        False,
    ]
    assert await slugs(db) == ["a", "b", "c", "d", "taken"]
    # The writer is free again afterwards.
    assert (await writes.submit("e")).slug == "e"
