"""Resident search inside one's neighbourhood (and what nearby ones shared with it)."""

from __future__ import annotations

from aiohttp import web

from node.api.access import RESIDENTS, access
from node.api.app_keys import POSTS, USER_KEY
from node.api.post_labels import label_context
from node.api.rendering import render_page


@access(RESIDENTS)
async def search_get(request: web.Request) -> web.Response:
    query = request.query.get("q", "")[:200]
    hits = await request.app[POSTS].search(request[USER_KEY], query) if query.strip() else []
    return await render_page(
        request, "posts/search.html", {"query": query, "hits": hits, **label_context()}
    )


ROUTES = (("GET", "/search", search_get),)
