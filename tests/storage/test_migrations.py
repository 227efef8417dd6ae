"""Migrations: applied once, recorded in the database, and a newer database is refused."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from node.bootstrap import init_node, migrate_database
from node.storage.database import DatabaseError, open_connection
from node.storage.migrations import MIGRATION_SET, apply_migrations, known_migration_names

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "neighbourhoods",
    "households",
    "invitations",
    "users",
    "join_requests",
    "sessions",
    "api_tokens",
    "one_time_links",
}


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def record_future_migration(path: Path, name: str = "9999_from_the_future") -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
            (MIGRATION_SET, name, "2031-01-01 00:00:00+00:00"),
        )
    conn.close()


def test_an_empty_database_gets_every_migration_in_order(tmp_path):
    path = tmp_path / "new.sqlite3"

    applied = migrate_database(path)

    assert applied == known_migration_names()
    assert applied[0] == "0001_foundation"
    assert tables(path) >= TABLES
    conn = sqlite3.connect(path)
    recorded = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            (MIGRATION_SET,),
        )
    ]
    conn.close()
    assert recorded == applied


def test_migrating_again_does_nothing_and_keeps_the_data(tmp_path):
    # Given a migrated database holding a neighbourhood
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    conn = open_connection(path)
    conn.execute("INSERT INTO neighbourhoods (slug, name, created_at) VALUES ('nimy', 'Nimy', 1)")
    conn.close()

    # When the node starts again and migrates
    applied = migrate_database(path)

    # Then nothing is applied and the neighbourhood is still there
    assert applied == []
    conn = open_connection(path)
    rows = conn.execute("SELECT slug, name FROM neighbourhoods").fetchall()
    assert [tuple(row) for row in rows] == [("nimy", "Nimy")]
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(
        known_migration_names()
    )
    conn.close()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    # Given a database on which a newer Quartier applied a migration this one does not know
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    record_future_migration(path)
    before = tables(path)

    # When this version tries to migrate it
    conn = open_connection(path)
    with pytest.raises(DatabaseError) as raised:
        apply_migrations(conn)
    conn.close()

    # Then it refuses, naming the migration and what to do, and changes nothing
    message = str(raised.value)
    assert "newer version of Quartier" in message
    assert "'9999_from_the_future'" in message
    assert "restore a backup" in message
    assert tables(path) == before


def test_migrations_of_another_set_are_not_mistaken_for_newer_ones(tmp_path):
    path = tmp_path / "node.sqlite3"
    migrate_database(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('some-plugin', '0001_plugin', '2026-01-01')"
        )
    conn.close()

    assert migrate_database(path) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "node",
            "serve",
            "--data",
            str(data_dir),
            "--port",
            str(_free_port()),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_newer_database_with_the_message(tmp_path):
    # Given a node whose database was upgraded by a newer Quartier
    config = init_node(tmp_path / "node", "http://127.0.0.1:8080", "Testville")
    record_future_migration(config.database_path)

    # When the operator starts this version on it
    result = _serve(config.data_dir)

    # Then it stops at once, saying why, without a traceback
    assert result.returncode == 1
    assert "newer version of Quartier" in result.stderr
    assert "9999_from_the_future" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_file_that_is_not_a_database_with_a_clear_message(tmp_path):
    # Given a node whose database file was overwritten by something else
    config = init_node(tmp_path / "node", "http://127.0.0.1:8080", "Testville")
    config.database_path.write_bytes(b"this is a spreadsheet, not a database\n" * 200)

    # When the operator starts it
    result = _serve(config.data_dir)

    # Then it stops with a one-line error naming the file, not a traceback
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert str(config.database_path) in result.stderr
