"""Creating a node's data directory, and checking one before serving from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from node.config import CONFIG_FILE_NAME, Config, config_from_mapping, render_config_toml
from node.federation.keys import generate_keys
from node.storage.database import DatabaseError, open_connection
from node.storage.migrations import apply_migrations


class NodeExists(RuntimeError):
    """`init` was pointed at a directory that already holds a node."""


def init_node(data_dir: Path, base_url: str, name: str) -> Config:
    """Create DIR/quartier.toml, the database and the keys. Never overwrites anything."""
    config_path = data_dir / CONFIG_FILE_NAME
    if config_path.exists() or (data_dir / "keys").exists():
        raise NodeExists(f"{data_dir} already holds a node; refusing to overwrite it")
    # Validate first, so a bad --base-url leaves no half-made directory behind.
    config = config_from_mapping(data_dir, {"node": {"base_url": base_url, "name": name}})
    if config.database_path.exists():
        raise NodeExists(f"{config.database_path} already exists; refusing to overwrite it")
    data_dir.mkdir(parents=True, exist_ok=True)
    generate_keys(config.keys_dir)
    migrate_database(config.database_path)
    config_path.write_text(render_config_toml(base_url, name), encoding="utf-8")
    return config


def migrate_database(path: Path) -> list[str]:
    """Apply pending migrations on a short-lived connection; return what was applied."""
    try:
        conn = open_connection(path)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the database {path}: {exc}") from None
    try:
        return apply_migrations(conn)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a Quartier database ({exc})") from None
    finally:
        conn.close()
