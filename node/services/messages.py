"""Direct messages between two residents of the same node."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Messages:
    """Use cases of private messages."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
