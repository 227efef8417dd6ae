"""Who counts as a resident for the community features: messages, directory, helpers."""

from __future__ import annotations

from node.errors import N_, Forbidden
from node.models import User


def resident_neighbourhood(user: User) -> int:
    """The neighbourhood of a resident or moderator; city staff and admins are refused.

    The routes refuse them already; the services refuse them too, so no other caller
    (the JSON API, a script, a future page) can reach resident content through them.
    """
    if not user.role.belongs_to_neighbourhood or user.neighbourhood_id is None:
        raise Forbidden(N_("Only residents of a neighbourhood can use this."))
    return user.neighbourhood_id
