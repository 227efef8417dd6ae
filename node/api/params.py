"""Reading ids and numbers from URLs without ever failing with a 500: every route and query
parameter that holds a number goes through here."""

from __future__ import annotations

import re

from aiohttp import web

from node.errors import N_, InvalidInput, NotFound

_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only, and always within SQLite's INTEGER
# The route pattern of a numeric id: the same rule, so an oversized id is simply not found.
ID = r"{id:[0-9]{1,18}}"


def path_id(request: web.Request, name: str = "id") -> int:
    """The id in the path; one no row can have is simply not found."""
    raw = request.match_info[name]
    if not _ID.fullmatch(raw):
        raise NotFound(N_("This page does not exist."))
    return int(raw)


def int_or_none(raw: str | None) -> int | None:
    """A query value as an id, or None when it is absent or not one."""
    return int(raw) if raw and _ID.fullmatch(raw) else None


MAX_PAGE = 1_000_000  # far past any real list, and page * page size stays a valid offset


def positive_int(raw: str | None, default: int) -> int:
    """A page number or similar: `default` when absent or not a positive number."""
    value = int_or_none(raw)
    return min(value, MAX_PAGE) if value else default


def query_int(request: web.Request, name: str) -> int | None:
    """An optional numeric query parameter of the API; a wrong one is a 422 naming it."""
    raw = request.query.get(name, "")
    if raw == "":
        return None
    value = int_or_none(raw)
    if value is None:
        raise InvalidInput({name: (N_("%(name)s must be a whole number."), {"name": name})})
    return value
