"""Notifications: in-app, and e-mail (immediate or daily digest) over SMTP."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Notifications:
    """Use cases of notifications, and the background mailer that sends them."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config

    async def start(self) -> None:
        """Start background work (the mailer); called once the app is up."""

    async def stop(self) -> None:
        """Stop background work, finishing what is in flight."""
