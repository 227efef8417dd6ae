"""Backups of a whole node (database, configuration, keys, residents' photos) and restoring them.

The database is copied with SQLite's online backup API, so a backup taken while the node
serves and writes is a consistent snapshot. Keys travel with it: a node restored without
them would be a different node to its federation peers. The archive holds private keys, so
it is created readable by its owner only, from the first byte.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from node.config import CONFIG_FILE_NAME, ConfigError, load_config
from node.storage.database import open_connection
from node.storage.migrations import apply_migrations

DATABASE_MEMBER = "quartier.sqlite3"
UPLOADS_MEMBER = "uploads"


class BackupError(RuntimeError):
    """A backup cannot be written or an archive cannot be restored; the message says why."""


def backup_node(data_dir: Path, archive: Path) -> dict[str, int]:
    """Write `archive` (.tar.gz) holding a consistent copy of the node. Returns row counts."""
    config = load_config(data_dir)
    if archive.exists():
        raise BackupError(f"{archive} already exists; choose a new file name")
    if not archive.parent.is_dir():
        raise BackupError(f"{archive.parent} is not a directory")
    partial = archive.with_name(archive.name + ".partial")
    try:
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
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(snapshot, arcname=DATABASE_MEMBER)
                tar.add(data_dir / CONFIG_FILE_NAME, arcname=CONFIG_FILE_NAME)
                tar.add(config.keys_dir, arcname="keys")
                if config.uploads_dir.is_dir():
                    tar.add(config.uploads_dir, arcname=UPLOADS_MEMBER)
                manifest = f"created={int(time.time())}\n".encode()
                info = tarfile.TarInfo("MANIFEST")
                info.size = len(manifest)
                tar.addfile(info, io.BytesIO(manifest))
        partial.rename(archive)  # a crash mid-way never leaves a file that looks complete
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write {archive}: {exc.strerror or exc}") from None
    return counts


def restore_node(archive: Path, data_dir: Path) -> dict[str, int]:
    """Restore a backup into an empty (or absent) data directory.

    Everything is unpacked and checked in a hidden scratch folder inside the target first, so
    restoring needs write access to that directory only, not to its parent (`/var/lib`, which
    the service's user cannot write). Only a backup that passes the checks is moved into
    place; a refused restore leaves the directory as it was: empty, or absent."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty; restore into a new directory, then swap it")
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a Quartier backup: {exc}") from None
    created = not data_dir.exists()
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    except OSError as exc:
        tar.close()
        raise BackupError(f"cannot write in {data_dir}: {exc.strerror or exc}") from None
    restored_ok = False
    try:
        with tar:
            names = set(tar.getnames())
            for needed in (DATABASE_MEMBER, CONFIG_FILE_NAME, "keys"):
                if needed not in names:
                    raise BackupError(f"{archive} lacks {needed}; it is not a Quartier backup")
            try:
                tar.extractall(scratch, filter="data")
            except (OSError, tarfile.TarError) as exc:
                raise BackupError(f"{archive} cannot be unpacked: {exc}") from None
        try:
            config = load_config(scratch)
        except ConfigError as exc:
            raise BackupError(f"the configuration in {archive} is not valid: {exc}") from None
        if Path(config.database.path).is_absolute():
            # Restoring there could write over a database in use; that is the operator's call.
            raise BackupError(
                f"the configuration in {archive} keeps the database at {config.database.path},"
                " outside the data directory, and restore does not write there: unpack the"
                f" archive by hand (tar xzf) and, with the node stopped, copy {DATABASE_MEMBER}"
                " to that path"
            )
        restored = scratch / DATABASE_MEMBER
        database = scratch / config.database.path
        if restored != database:
            database.parent.mkdir(parents=True, exist_ok=True)
            restored.rename(database)
        counts = _check_and_migrate(database, archive)
        _secure_keys(scratch / "keys")
        for part in scratch.iterdir():
            part.rename(data_dir / part.name)
        with contextlib.suppress(PermissionError):  # a directory the operator made and owns
            data_dir.chmod(0o700)
        restored_ok = True
        return counts
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
        if created and not restored_ok and data_dir.exists() and not any(data_dir.iterdir()):
            data_dir.rmdir()


def _check_and_migrate(database: Path, archive: Path) -> dict[str, int]:
    try:
        conn = open_connection(database)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"the database in {archive} fails SQLite's integrity check")
            apply_migrations(conn)
            return _row_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in {archive} is damaged: {exc}") from None


def _secure_keys(keys_dir: Path) -> None:
    """Private keys readable by the owner only, directories (keys/, keys/retired/) too."""
    keys_dir.chmod(0o700)
    for path in keys_dir.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


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
