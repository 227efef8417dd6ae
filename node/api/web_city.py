"""The city dashboard: what city staff see. Counts only, never resident content."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, access
from node.api.app_keys import REGISTER
from node.api.rendering import render_page


@access(CITY)
async def city_get(request: web.Request) -> web.Response:
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    return await render_page(request, "city/index.html", {"summaries": summaries})


ROUTES = (("GET", "/city", city_get),)
