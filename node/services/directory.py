"""The opt-in neighbour directory, with per-field visibility."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Directory:
    """Use cases of the neighbour directory."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
