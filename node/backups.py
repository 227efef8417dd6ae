"""Backups of a whole node (database, configuration, keys) and restoring them.

The database is copied with SQLite's online backup API, so a backup taken while the node
serves and writes is a consistent snapshot. Keys travel with it: a node restored without
them would be a different node to its federation peers.
"""

from __future__ import annotations

import io
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from node.config import CONFIG_FILE_NAME, load_config
from node.storage.database import open_connection
from node.storage.migrations import apply_migrations

DATABASE_MEMBER = "quartier.sqlite3"


class BackupError(RuntimeError):
    """A backup cannot be written or an archive cannot be restored; the message says why."""


def backup_node(data_dir: Path, archive: Path) -> dict[str, int]:
    """Write `archive` (.tar.gz) holding a consistent copy of the node. Returns row counts."""
    config = load_config(data_dir)
    if archive.exists():
        raise BackupError(f"{archive} already exists; choose a new file name")
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / DATABASE_MEMBER
        source = open_connection(config.database_path)
        try:
            target = sqlite3.connect(str(snapshot))
            try:
                source.backup(target, pages=256)
                counts = _row_counts(target)
            finally:
                target.close()
        finally:
            source.close()
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname=DATABASE_MEMBER)
            tar.add(data_dir / CONFIG_FILE_NAME, arcname=CONFIG_FILE_NAME)
            tar.add(config.keys_dir, arcname="keys")
            manifest = f"created={int(time.time())}\n".encode()
            info = tarfile.TarInfo("MANIFEST")
            info.size = len(manifest)
            tar.addfile(info, io.BytesIO(manifest))
        partial.rename(archive)  # a crash mid-way never leaves a file that looks complete
    archive.chmod(0o600)
    return counts


def restore_node(archive: Path, data_dir: Path) -> dict[str, int]:
    """Unpack a backup into an empty (or absent) data directory; check the database first."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty; restore into a new directory, then swap it")
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a Quartier backup: {exc}") from None
    with tar:
        names = set(tar.getnames())
        for needed in (DATABASE_MEMBER, CONFIG_FILE_NAME, "keys"):
            if needed not in names:
                raise BackupError(f"{archive} lacks {needed}; it is not a Quartier backup")
        data_dir.mkdir(parents=True, exist_ok=True)
        tar.extractall(data_dir, filter="data")
    config = load_config(data_dir)
    restored = data_dir / DATABASE_MEMBER
    if restored != config.database_path:
        restored.rename(config.database_path)
    for key_file in config.keys_dir.iterdir():
        key_file.chmod(0o600)
    conn = open_connection(config.database_path)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"the database in {archive} fails SQLite's integrity check")
        apply_migrations(conn)
        return _row_counts(conn)
    finally:
        conn.close()


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '%_fts%' ORDER BY name"
        )
    ]
    return {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables
    }
