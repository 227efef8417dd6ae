"""Admin pages for federation: follow a city, follow requests, allowed and blocked servers,
and the delivery queue's dead letters."""

from __future__ import annotations

from aiohttp import web

from node.api.access import ADMIN, access
from node.api.app_keys import PEERING, REGISTER, TRANSLATOR_KEY
from node.api.params import ID
from node.api.rendering import Form, form_values, render_page
from node.errors import InvalidInput


async def _page(request: web.Request, form: Form | None = None, status: int = 200):
    overview = await request.app[PEERING].overview()
    neighbourhoods = await request.app[REGISTER].list_neighbourhoods()
    return await render_page(
        request,
        "admin/federation.html",
        {
            "overview": overview,
            "neighbourhoods": neighbourhoods,
            "form": form or Form(),
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(ADMIN)
async def federation_get(request: web.Request) -> web.Response:
    return await _page(request)


@access(ADMIN)
async def follow_city_post(request: web.Request) -> web.Response:
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    slugs = [v for k, v in data.items() if k == "neighbourhood" and isinstance(v, str)]
    try:
        await request.app[PEERING].follow_city(values.get("handle", ""), slugs or None)
    except InvalidInput as exc:
        return await _page(request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), 400)
    raise web.HTTPSeeOther("/admin/federation?notice=follow-sent")


@access(ADMIN)
async def follow_request_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    approve = values.get("decision") == "approve"
    await request.app[PEERING].decide(int(request.match_info["id"]), approve)
    raise web.HTTPSeeOther(f"/admin/federation?notice={'approved' if approve else 'rejected'}")


@access(ADMIN)
async def unfollow_post(request: web.Request) -> web.Response:
    await request.app[PEERING].unfollow(int(request.match_info["id"]))
    raise web.HTTPSeeOther("/admin/federation?notice=unfollowed")


@access(ADMIN)
async def host_policy_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    try:
        await request.app[PEERING].set_host_policy(
            values.get("host", ""), values.get("policy", ""), values.get("note", "")
        )
    except InvalidInput as exc:
        return await _page(request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), 400)
    raise web.HTTPSeeOther("/admin/federation?notice=policy-saved")


@access(ADMIN)
async def dead_letter_retry_post(request: web.Request) -> web.Response:
    await request.app[PEERING].retry_dead_letter(int(request.match_info["id"]))
    raise web.HTTPSeeOther("/admin/federation?notice=retrying")


ROUTES = (
    ("GET", "/admin/federation", federation_get),
    ("POST", "/admin/federation/follow", follow_city_post),
    ("POST", f"/admin/federation/requests/{ID}", follow_request_post),
    ("POST", f"/admin/federation/following/{ID}/unfollow", unfollow_post),
    ("POST", "/admin/federation/hosts", host_policy_post),
    ("POST", f"/admin/federation/dead-letters/{ID}/retry", dead_letter_retry_post),
)
