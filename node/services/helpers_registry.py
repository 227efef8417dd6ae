"""Residents who offer help (skills) or volunteer for the city.

Skills are stored as stable keys and shown with translated labels. Being a volunteer means
the city may later send calls for volunteers to the neighbourhood; answering stays each
volunteer's choice. The city-call feature gets ids and counts from here, inside the node only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.config import Config
from node.errors import N_, InvalidInput
from node.models import User
from node.models.community import HelperListing, HelperProfile
from node.services.residency import resident_neighbourhood
from node.storage import helpers_registry as store
from node.storage.database import Database

MAX_NOTE = 500

# key -> English label (translated where shown). Keys are stored: never rename one.
SKILLS: dict[str, str] = {
    "shopping": N_("Shopping"),
    "company": N_("Company and visits"),
    "french_lessons": N_("French lessons"),
    "dutch_lessons": N_("Dutch lessons"),
    "repairs": N_("Small repairs"),
    "gardening": N_("Gardening"),
    "transport": N_("Transport"),
    "computers": N_("Computers and phones"),
    "childcare": N_("Childcare"),
    "pets": N_("Pets"),
    "paperwork": N_("Paperwork"),
    "cooking": N_("Cooking"),
}


def check_skill(skill: str | None) -> str | None:
    """A skill key as a filter: None for all, else a known key or InvalidInput."""
    if skill is None or skill == "":
        return None
    if skill not in SKILLS:
        raise InvalidInput({"skill": N_("Choose a skill from the list.")})
    return skill


class HelpersRegistry:
    """Use cases of the helpers and volunteers register."""

    def __init__(
        self, db: Database, config: Config, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock

    async def helpers(self, viewer: User, skill: str | None = None) -> list[HelperListing]:
        """Helpers of the viewer's own neighbourhood, optionally those offering `skill`."""
        neighbourhood_id = resident_neighbourhood(viewer)
        return await self._db.read(
            "list_helpers_by_neighbourhood",
            store.list_helpers_by_neighbourhood,
            neighbourhood_id,
            check_skill(skill),
        )

    async def profile(self, user: User) -> HelperProfile:
        resident_neighbourhood(user)
        return await self._db.read(
            "get_helper_profile_by_user", store.get_helper_profile_by_user, user.id
        )

    async def register(
        self, user: User, skills: list[str], note: str, volunteer: bool
    ) -> HelperProfile:
        """Offer help with some skills, and/or let the city call on the user as a volunteer."""
        resident_neighbourhood(user)
        problems: dict[str, str | tuple[str, dict]] = {}
        chosen = tuple(sorted(set(skills)))
        if any(skill not in SKILLS for skill in chosen):
            problems["skills"] = N_("Choose skills from the list.")
        elif not chosen and not volunteer:
            problems["skills"] = N_(
                "Choose at least one skill, or tick the box to volunteer for the city."
            )
        note = " ".join(note.split())
        if len(note) > MAX_NOTE:
            problems["note"] = (N_("Use at most %(max)d characters."), {"max": MAX_NOTE})
        if problems:
            raise InvalidInput(problems)
        now = int(self._clock())

        def save(conn):
            store.put_helper(conn, user.id, chosen, note, volunteer, now)
            return store.get_helper_profile_by_user(conn, user.id)

        return await self._db.write("register_helper", save)

    async def withdraw(self, user: User) -> None:
        """Stop offering help and volunteering."""
        resident_neighbourhood(user)
        await self._db.write("delete_helper", store.delete_helper, user.id)

    async def volunteer_ids(self, neighbourhood_id: int) -> list[int]:
        """Ids of a neighbourhood's volunteers, for the city-call feature inside this node.

        Never expose these to city staff: they see counts, and a volunteer's contact only
        when that volunteer chooses to share it.
        """
        return await self._db.read(
            "list_volunteer_ids_by_neighbourhood",
            store.list_volunteer_ids_by_neighbourhood,
            neighbourhood_id,
        )

    async def volunteer_count(self, neighbourhood_id: int) -> int:
        return await self._db.read(
            "count_volunteers_by_neighbourhood",
            store.count_volunteers_by_neighbourhood,
            neighbourhood_id,
        )
