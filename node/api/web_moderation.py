"""Moderator pages: requests to join, reports, the queue, members, house rules, audit log."""

from __future__ import annotations

from aiohttp import web

from node.api.access import MODERATORS, access
from node.api.app_keys import ACCOUNTS, USER_KEY
from node.api.rendering import form_values, render_page


def _flash_redirect(path: str, notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}?notice={notice}")


@access(MODERATORS)
async def join_requests_get(request: web.Request) -> web.Response:
    requests = await request.app[ACCOUNTS].open_join_requests(request[USER_KEY])
    return await render_page(
        request,
        "moderation/join_requests.html",
        {"join_requests": requests, "notice": request.query.get("notice", "")},
    )


@access(MODERATORS)
async def join_request_decide_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    approve = values.get("decision") == "approve"
    await request.app[ACCOUNTS].decide_join_request(
        request[USER_KEY], int(request.match_info["id"]), approve
    )
    raise _flash_redirect("/moderation/join-requests", "approved" if approve else "declined")


ROUTES = (
    ("GET", "/moderation/join-requests", join_requests_get),
    ("POST", r"/moderation/join-requests/{id:\d+}", join_request_decide_post),
)
