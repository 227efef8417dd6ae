"""Admin page: which neighbourhoods are adjacent (posts can be shared between them)."""

from __future__ import annotations

from aiohttp import web

from node.api.access import ADMIN, access
from node.api.app_keys import POSTS, TRANSLATOR_KEY, USER_KEY
from node.api.params import int_or_none
from node.api.rendering import Form, render_page
from node.errors import N_, InvalidInput


async def _page(request: web.Request, form: Form | None = None, status: int = 200):
    neighbourhoods, adjacency = await request.app[POSTS].adjacency(request[USER_KEY])
    return await render_page(
        request,
        "posts/adjacency.html",
        {
            "neighbourhoods": neighbourhoods,
            "adjacency": adjacency,
            "form": form or Form(),
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(ADMIN)
async def adjacency_get(request: web.Request) -> web.Response:
    return await _page(request)


@access(ADMIN)
async def adjacency_post(request: web.Request) -> web.Response:
    data = await request.post()
    raw = str(data.get("neighbourhood", ""))
    adjacent = [i for v in data.getall("adjacent", []) if (i := int_or_none(str(v)))]
    try:
        if int_or_none(raw) is None:
            raise InvalidInput({"neighbourhood": N_("Choose a neighbourhood.")})
        await request.app[POSTS].set_adjacent(request[USER_KEY], int(raw), adjacent)
    except InvalidInput as exc:
        form = Form.from_error({"neighbourhood": raw}, exc, request[TRANSLATOR_KEY])
        return await _page(request, form, status=400)
    raise web.HTTPSeeOther("/admin/adjacency?notice=saved")


ROUTES = (
    ("GET", "/admin/adjacency", adjacency_get),
    ("POST", "/admin/adjacency", adjacency_post),
)
