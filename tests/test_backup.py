"""Backups: a consistent copy taken while the node writes, and restores that refuse to guess."""

from __future__ import annotations

import io
import sqlite3
import stat
import tarfile
import threading
from pathlib import Path

import pytest

from node.backups import BackupError, backup_node, restore_node
from node.bootstrap import init_node
from node.config import CONFIG_FILE_NAME, load_config
from node.storage.database import open_connection

WAIT = 30  # seconds: only reached when something is broken


@pytest.fixture
def node_dir(tmp_path) -> Path:
    config = init_node(tmp_path / "node", "https://quartier.mons.be", "Mons")
    conn = open_connection(config.database_path)
    # Enough rows that the copy takes many steps, so writes land in the middle of it.
    conn.execute("BEGIN")
    conn.execute("INSERT INTO neighbourhoods (slug, name, created_at) VALUES ('centre', 'C', 0)")
    conn.executemany(
        "INSERT INTO households (neighbourhood_id, street, number, postcode, municipality,"
        " address_key, created_at) VALUES (1, ?, ?, '7000', 'Mons', ?, 0)",
        [(f"Rue numéro {i // 100}", str(i), f"seed|{i}") for i in range(20_000)],
    )
    conn.execute("COMMIT")
    conn.close()
    return config.data_dir


class Writer(threading.Thread):
    """Keeps writing, each transaction one neighbourhood with exactly two households."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(daemon=True)
        self.path = load_config(data_dir, env={}).database_path
        self.committed = 0
        self.first_commit = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        conn = open_connection(self.path)
        try:
            while not self.stop.is_set():
                n = self.committed
                conn.execute("BEGIN IMMEDIATE")
                cur = conn.execute(
                    "INSERT INTO neighbourhoods (slug, name, created_at) VALUES (?, ?, 0)",
                    (f"w{n}", f"Written {n}"),
                )
                for number in ("1", "2"):
                    conn.execute(
                        "INSERT INTO households (neighbourhood_id, street, number, postcode,"
                        " municipality, address_key, created_at)"
                        " VALUES (?, 'Rue', ?, '7000', 'Mons', ?, 0)",
                        (cur.lastrowid, number, f"w{n}|{number}"),
                    )
                conn.execute("COMMIT")
                self.committed += 1
                self.first_commit.set()
        except BaseException as exc:
            self.error = exc
            self.first_commit.set()
        finally:
            conn.close()


def test_a_backup_taken_while_the_node_writes_restores_one_consistent_moment(node_dir, tmp_path):
    # Given a node that keeps writing
    writer = Writer(node_dir)
    writer.start()
    assert writer.first_commit.wait(WAIT)
    try:
        # When a backup is taken in the middle of it
        before = writer.committed
        counts = backup_node(node_dir, tmp_path / "backup.tar.gz")
        after = writer.committed
    finally:
        writer.stop.set()
        writer.join(WAIT)
    assert writer.error is None
    assert after > before  # the node really was writing during the backup

    # And restored into a new directory
    restored = restore_node(tmp_path / "backup.tar.gz", tmp_path / "restored")

    # Then the database is sound and holds whole transactions from one moment
    path = load_config(tmp_path / "restored", env={}).database_path
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        written = conn.execute("SELECT count(*) FROM neighbourhoods WHERE slug LIKE 'w%'")
        written = written.fetchone()[0]
        per_neighbourhood = conn.execute(
            "SELECT n.slug, count(h.id) FROM neighbourhoods n"
            " LEFT JOIN households h ON h.neighbourhood_id = n.id"
            " WHERE n.slug LIKE 'w%' GROUP BY n.id"
        ).fetchall()
        slugs = {row[0] for row in per_neighbourhood}
    finally:
        conn.close()
    assert before <= written <= after
    assert all(households == 2 for _, households in per_neighbourhood)
    assert slugs == {f"w{i}" for i in range(written)}  # no gap: a prefix of the writes
    assert counts["households"] == 20_000 + 2 * written
    assert restored == counts


def test_a_backup_holds_the_configuration_and_keys_and_is_private(node_dir, tmp_path):
    archive = tmp_path / "backup.tar.gz"

    backup_node(node_dir, archive)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"quartier.sqlite3", CONFIG_FILE_NAME, "keys/ed25519.pem", "keys/rsa.pem"} <= names

    restore_node(archive, tmp_path / "restored")
    for key in ("ed25519.pem", "rsa.pem"):
        restored_key = tmp_path / "restored" / "keys" / key
        assert restored_key.read_bytes() == (node_dir / "keys" / key).read_bytes()
        assert stat.S_IMODE(restored_key.stat().st_mode) == 0o600
    assert load_config(tmp_path / "restored", env={}).base_url == "https://quartier.mons.be"


def test_a_backup_never_overwrites_a_file(node_dir, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"yesterday's backup")

    with pytest.raises(BackupError, match="already exists"):
        backup_node(node_dir, archive)
    assert archive.read_bytes() == b"yesterday's backup"


def test_restore_refuses_a_directory_that_is_not_empty(node_dir, tmp_path):
    # Given a backup, and a directory holding something
    backup_node(node_dir, tmp_path / "backup.tar.gz")
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")

    # When it is restored there
    with pytest.raises(BackupError) as raised:
        restore_node(tmp_path / "backup.tar.gz", target)

    # Then it refuses, says what to do, and touches nothing
    assert str(raised.value) == (
        f"{target} is not empty; restore into a new directory, then swap it"
    )
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive at all")

    with pytest.raises(BackupError) as raised:
        restore_node(notes, tmp_path / "restored")

    assert str(raised.value).startswith(f"{notes} is not a Quartier backup")
    assert not (tmp_path / "restored").exists()


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_restore_refuses_an_archive_that_lacks_the_database(tmp_path):
    archive = _archive(tmp_path / "other.tar.gz", {"photo.jpg": b"\xff\xd8"})

    with pytest.raises(BackupError) as raised:
        restore_node(archive, tmp_path / "restored")

    assert str(raised.value) == f"{archive} lacks quartier.sqlite3; it is not a Quartier backup"
    assert not (tmp_path / "restored").exists()


def _damaged_backup(node_dir: Path, tmp_path: Path) -> Path:
    """A backup archive whose database member is not a database."""
    good = tmp_path / "good.tar.gz"
    backup_node(node_dir, good)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(good) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            if member.name == "quartier.sqlite3":
                junk = b"\x00 this block went bad on the disk \x00" * 4096
                member.size = len(junk)
                target.addfile(member, io.BytesIO(junk))
            else:
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
    return damaged


def test_restore_refuses_a_damaged_database_with_a_clear_message(node_dir, tmp_path):
    damaged = _damaged_backup(node_dir, tmp_path)

    with pytest.raises(BackupError) as raised:
        restore_node(damaged, tmp_path / "restored")

    assert str(damaged) in str(raised.value)


def test_a_refused_restore_leaves_no_half_restored_node(node_dir, tmp_path):
    # Given a backup whose database is damaged
    damaged = _damaged_backup(node_dir, tmp_path)

    # When it is restored, and refused
    with pytest.raises(Exception):  # noqa: B017 - which error is the test above's concern
        restore_node(damaged, tmp_path / "restored")

    # Then the directory holds no node that could be served by mistake, and a retry can use it
    target = tmp_path / "restored"
    assert not target.exists() or not any(target.iterdir())


def test_restore_into_an_empty_directory_the_operator_made(node_dir, tmp_path):
    # Given a backup, and the empty directory an operator prepared for it (as operations.md
    # says: made by root, owned by the service's user)
    backup_node(node_dir, tmp_path / "backup.tar.gz")
    target = tmp_path / "prepared"
    target.mkdir(mode=0o755)

    # When it is restored there
    counts = restore_node(tmp_path / "backup.tar.gz", target)

    # Then the node is in it, private, with nothing left over beside or inside it
    assert counts["households"] == 20_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "keys").stat().st_mode) == 0o700
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["MANIFEST", CONFIG_FILE_NAME, "keys", "quartier.sqlite3"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar.gz", "node", "prepared"]


def test_a_refused_restore_leaves_the_prepared_directory_empty(node_dir, tmp_path):
    target = tmp_path / "prepared"
    target.mkdir()

    with pytest.raises(BackupError):
        restore_node(_damaged_backup(node_dir, tmp_path), target)

    assert target.is_dir() and list(target.iterdir()) == []


def test_restore_will_not_write_a_database_outside_the_data_directory(node_dir, tmp_path):
    # Given a node whose configuration keeps its database elsewhere (an absolute path)
    elsewhere = tmp_path / "live.sqlite3"
    config_file = node_dir / CONFIG_FILE_NAME
    config_file.write_text(
        config_file.read_text(encoding="utf-8").replace(
            "[database]", f'[database]\npath = "{elsewhere}"', 1
        ),
        encoding="utf-8",
    )
    (node_dir / "quartier.sqlite3").rename(elsewhere)
    backup_node(node_dir, tmp_path / "backup.tar.gz")
    elsewhere.write_bytes(b"the live database, in use")

    # When the backup is restored into a new directory
    with pytest.raises(BackupError) as raised:
        restore_node(tmp_path / "backup.tar.gz", tmp_path / "restored")

    # Then it refuses, says what to do by hand, and the file at that path is untouched
    assert f"keeps the database at {elsewhere}" in str(raised.value)
    assert "unpack the archive by hand" in str(raised.value)
    assert elsewhere.read_bytes() == b"the live database, in use"
    assert not (tmp_path / "restored").exists()
