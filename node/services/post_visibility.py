"""Who takes part in neighbourhood life, and the text hygiene every write shares."""

from __future__ import annotations

import re

from node.errors import N_, Forbidden
from node.models import User

# C0 control characters other than tab and newline, and DEL: they have no place in what
# residents write, and search relies on two of them as snippet markers.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def neighbourhood_of(viewer: User) -> int:
    """The viewer's neighbourhood; only its residents and moderators take part.

    City staff and admins are refused here too, not only by the routes' access rules, so a
    new route that forgets its rule still shows them no resident content.
    """
    if not viewer.role.belongs_to_neighbourhood or viewer.neighbourhood_id is None:
        raise Forbidden(N_("Only residents of a neighbourhood can see its posts."))
    if not viewer.is_active:
        raise Forbidden(N_("You do not have access to this page."))
    return viewer.neighbourhood_id


def clean_text(text: str) -> str:
    """Line endings unified, control characters removed, outer whitespace trimmed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_line(text: str) -> str:
    """A one-line field: control characters removed and whitespace collapsed."""
    return " ".join(_CONTROL.sub("", text).split())
