"""Reading ids and numbers from the URLs of the posts area without ever failing with a 500."""

from __future__ import annotations

import re

from aiohttp import web

from node.errors import N_, NotFound

_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only, and always within SQLite's INTEGER


def path_id(request: web.Request, name: str = "id") -> int:
    """The id in the path; one no row can have is simply not found."""
    raw = request.match_info[name]
    if not _ID.fullmatch(raw):
        raise NotFound(N_("This page does not exist."))
    return int(raw)


def int_or_none(raw: str | None) -> int | None:
    """A query value as an id, or None when it is absent or not one."""
    return int(raw) if raw and _ID.fullmatch(raw) else None
