"""The opt-in neighbour directory, with per-field visibility.

Only signed-in residents of the same neighbourhood see an entry, and only the fields its
owner chose: the name always, the bio, the street (never the house number) and the skills
each on their own switch. City staff and admins never see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.config import Config
from node.errors import N_, InvalidInput
from node.models import User
from node.models.community import DirectoryListing, DirectorySettings
from node.services.residency import resident_neighbourhood
from node.storage import directory as store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage.database import Database

MAX_BIO = 500


class Directory:
    """Use cases of the neighbour directory."""

    def __init__(
        self, db: Database, config: Config, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock

    async def listings(self, viewer: User) -> list[DirectoryListing]:
        """Listed residents of the viewer's own neighbourhood, with the fields they chose."""
        neighbourhood_id = resident_neighbourhood(viewer)
        return await self._db.read(
            "list_directory_listings_by_neighbourhood",
            store.list_directory_listings_by_neighbourhood,
            neighbourhood_id,
        )

    async def settings(self, user: User) -> tuple[DirectorySettings, str]:
        """The user's directory choices, and the name of the neighbourhood that sees them."""
        neighbourhood_id = resident_neighbourhood(user)

        def read(conn):
            neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(conn, neighbourhood_id)
            settings = store.get_directory_settings_by_user(conn, user.id)
            return settings, neighbourhood.name if neighbourhood else ""

        return await self._db.read("get_directory_settings_by_user", read)

    async def save_settings(self, user: User, settings: DirectorySettings) -> DirectorySettings:
        """Opt in with the chosen fields, or opt out (which forgets the entry)."""
        resident_neighbourhood(user)
        bio = settings.bio.replace("\r\n", "\n").strip()
        if len(bio) > MAX_BIO:
            raise InvalidInput({"bio": (N_("Use at most %(max)d characters."), {"max": MAX_BIO})})
        cleaned = DirectorySettings(
            listed=settings.listed,
            bio=bio,
            show_bio=settings.show_bio,
            show_street=settings.show_street,
            show_skills=settings.show_skills,
        )
        now = int(self._clock())

        def save(conn):
            if cleaned.listed:
                store.put_directory_entry(conn, user.id, cleaned, now)
            else:
                store.delete_directory_entry(conn, user.id)
            return store.get_directory_settings_by_user(conn, user.id)

        return await self._db.write("save_directory_settings", save)
