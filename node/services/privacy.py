"""A resident's rights: download all their data, delete their account."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Privacy:
    """Use cases of data export and account deletion."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
