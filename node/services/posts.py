"""Neighbourhood life: the feed, posts, photos, comments, reactions, help, events, search."""

from __future__ import annotations

from node.config import Config
from node.storage.database import Database


class Posts:
    """Use cases of a neighbourhood's posts and everything hanging off them."""

    def __init__(self, db: Database, config: Config) -> None:
        self._db = db
        self._config = config
