"""Residents who offer help (skills) or volunteer for the city."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class HelpersRegistry:
    """Use cases of the helpers and volunteers register."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
