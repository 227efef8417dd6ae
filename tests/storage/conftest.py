"""What the storage tests share: a real, migrated SQLite file."""

from __future__ import annotations

import pytest

from node.bootstrap import migrate_database
from node.storage.database import open_connection


@pytest.fixture
def conn(tmp_path):
    """A connection to a freshly migrated database file, as the node opens it."""
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    conn = open_connection(path)
    yield conn
    conn.close()
