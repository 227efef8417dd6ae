"""Moderation: reports, the queue, hiding, warnings, suspensions, house rules, audit log."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Moderation:
    """Use cases of a neighbourhood's moderators."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
