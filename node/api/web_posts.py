"""Resident pages of neighbourhood life: the feed, posts, comments, reactions, help, events."""

from __future__ import annotations

from aiohttp import web

from node.api.access import RESIDENTS, access
from node.api.app_keys import REGISTER, USER_KEY
from node.api.rendering import render_page


@access(RESIDENTS)
async def neighbourhood_get(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    mine = next(s for s in summaries if s.neighbourhood.id == user.neighbourhood_id)
    return await render_page(
        request,
        "neighbourhood/home.html",
        {"summary": mine, "welcome": request.query.get("welcome") == "1"},
    )


ROUTES = (("GET", "/neighbourhood", neighbourhood_get),)
