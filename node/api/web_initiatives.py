"""Citizen initiatives on the web: residents propose and support; city staff read and answer."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import INITIATIVES, TRANSLATOR_KEY, USER_KEY
from node.api.params import ID, path_id
from node.api.rendering import Form, form_values, render_page
from node.errors import InvalidInput

# -- residents ----------------------------------------------------------------------------------


@access(RESIDENTS)
async def initiatives_get(request: web.Request) -> web.Response:
    service = request.app[INITIATIVES]
    return await render_page(
        request,
        "initiatives/list.html",
        {
            "items": await service.list_for(request[USER_KEY]),
            "threshold": service.threshold,
            "notice": request.query.get("notice", ""),
        },
    )


async def _new_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    return await render_page(
        request,
        "initiatives/new.html",
        {"form": form, "threshold": request.app[INITIATIVES].threshold},
        status=status,
    )


@access(RESIDENTS)
async def initiative_new_get(request: web.Request) -> web.Response:
    return await _new_page(request, Form())


@access(RESIDENTS)
async def initiative_new_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    try:
        view = await request.app[INITIATIVES].propose(
            request[USER_KEY], values.get("title", ""), values.get("body", "")
        )
    except InvalidInput as exc:
        return await _new_page(request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), 400)
    raise web.HTTPSeeOther(f"/initiatives/{view.initiative.id}?notice=proposed")


@access(RESIDENTS)
async def initiative_get(request: web.Request) -> web.Response:
    view = await request.app[INITIATIVES].get_for(request[USER_KEY], path_id(request))
    return await render_page(
        request,
        "initiatives/show.html",
        {"view": view, "i": view.initiative, "notice": request.query.get("notice", "")},
    )


@access(RESIDENTS)
async def initiative_support_post(request: web.Request) -> web.Response:
    initiative_id = path_id(request)
    await request.app[INITIATIVES].support(request[USER_KEY], initiative_id)
    raise web.HTTPSeeOther(f"/initiatives/{initiative_id}?notice=supported")


@access(RESIDENTS)
async def initiative_unsupport_post(request: web.Request) -> web.Response:
    initiative_id = path_id(request)
    await request.app[INITIATIVES].withdraw_support(request[USER_KEY], initiative_id)
    raise web.HTTPSeeOther(f"/initiatives/{initiative_id}?notice=unsupported")


@access(RESIDENTS)
async def initiative_withdraw_post(request: web.Request) -> web.Response:
    await request.app[INITIATIVES].withdraw(request[USER_KEY], path_id(request))
    raise web.HTTPSeeOther("/initiatives?notice=withdrawn")


# -- city staff ---------------------------------------------------------------------------------


@access(CITY)
async def city_initiatives_get(request: web.Request) -> web.Response:
    items = await request.app[INITIATIVES].city_list()
    return await render_page(request, "initiatives/city_list.html", {"items": items})


async def _city_page(
    request: web.Request, form: Form, status: int = 200, notice: str = ""
) -> web.Response:
    initiative = await request.app[INITIATIVES].city_get(path_id(request))
    return await render_page(
        request,
        "initiatives/city_show.html",
        {"i": initiative, "form": form, "notice": notice},
        status=status,
    )


@access(CITY)
async def city_initiative_get(request: web.Request) -> web.Response:
    return await _city_page(request, Form(), notice=request.query.get("notice", ""))


@access(CITY)
async def city_initiative_answer_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    city_id = path_id(request)
    try:
        await request.app[INITIATIVES].answer(request[USER_KEY], city_id, values.get("answer", ""))
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _city_page(request, form, 400)
    raise web.HTTPSeeOther(f"/city/initiatives/{city_id}?notice=answered")


ROUTES = (
    ("GET", "/initiatives", initiatives_get),
    ("GET", "/initiatives/new", initiative_new_get),
    ("POST", "/initiatives/new", initiative_new_post),
    ("GET", f"/initiatives/{ID}", initiative_get),
    ("POST", f"/initiatives/{ID}/support", initiative_support_post),
    ("POST", f"/initiatives/{ID}/unsupport", initiative_unsupport_post),
    ("POST", f"/initiatives/{ID}/withdraw", initiative_withdraw_post),
    ("GET", "/city/initiatives", city_initiatives_get),
    ("GET", f"/city/initiatives/{ID}", city_initiative_get),
    ("POST", f"/city/initiatives/{ID}/answer", city_initiative_answer_post),
)
