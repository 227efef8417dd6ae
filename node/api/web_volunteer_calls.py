"""Pages of calls for volunteers: city staff send calls and read the answers (counts, and the
contacts volunteers chose to share); residents answer on their home node."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import TRANSLATOR_KEY, USER_KEY, VOLUNTEER_CALLS
from node.api.city_targets import form_with_targets, target_choices
from node.api.params import ID, path_id
from node.api.rendering import Form, render_page
from node.errors import InvalidInput
from node.services.rich_text import render_markdown
from node.services.volunteer_calls import VolunteerAnswer

# -- city staff -------------------------------------------------------------------------------


async def _calls_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    service = request.app[VOLUNTEER_CALLS]
    return await render_page(
        request,
        "volunteer_calls/city_list.html",
        {
            "calls": await service.summaries(),
            **await target_choices(request, form),
            "form": form,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(CITY)
async def city_calls_get(request: web.Request) -> web.Response:
    return await _calls_page(request, Form())


@access(CITY)
async def city_calls_post(request: web.Request) -> web.Response:
    values, targets = await form_with_targets(request)
    service = request.app[VOLUNTEER_CALLS]
    try:
        call = await service.publish(request[USER_KEY], service.draft_from_form(values, targets))
    except InvalidInput as exc:
        return await _calls_page(
            request, Form.from_error(values, exc, request[TRANSLATOR_KEY]), 400
        )
    raise web.HTTPSeeOther(f"/city/volunteer-calls/{call.id}?notice=published")


@access(CITY)
async def city_call_get(request: web.Request) -> web.Response:
    results = await request.app[VOLUNTEER_CALLS].results(path_id(request))
    return await render_page(
        request,
        "volunteer_calls/city_call.html",
        {
            "results": results,
            "description_html": render_markdown(results.call.description),
            "chart_rows": [(n.name, n.answers) for n in results.neighbourhoods],
            "notice": request.query.get("notice", ""),
        },
    )


@access(CITY)
async def city_call_withdraw_post(request: web.Request) -> web.Response:
    call_id = path_id(request)
    await request.app[VOLUNTEER_CALLS].withdraw(request[USER_KEY], call_id)
    raise web.HTTPSeeOther(f"/city/volunteer-calls/{call_id}?notice=withdrawn")


# -- residents --------------------------------------------------------------------------------


async def _resident_page(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    user = request[USER_KEY]
    view = await request.app[VOLUNTEER_CALLS].view(user, path_id(request))
    if form is None:
        reply = view.reply
        form = Form(
            {
                "message": reply.message if reply else "",
                "share_contact": "on" if reply and reply.share_contact else "",
                # Prefilled with the name neighbours know; the volunteer may change it.
                "contact_name": reply.contact_name
                if reply and reply.contact_name
                else user.display_name,
                "contact_details": reply.contact_details if reply else "",
            }
        )
    return await render_page(
        request,
        "volunteer_calls/resident_call.html",
        {"view": view, "form": form, "notice": request.query.get("notice", "")},
        status=status,
    )


@access(RESIDENTS)
async def resident_call_get(request: web.Request) -> web.Response:
    return await _resident_page(request)


@access(RESIDENTS)
async def resident_answer_post(request: web.Request) -> web.Response:
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    answer = VolunteerAnswer(
        message=values.get("message", ""),
        share_contact=values.get("share_contact") == "on",
        contact_name=values.get("contact_name", ""),
        contact_details=values.get("contact_details", ""),
    )
    message_id = path_id(request)
    try:
        await request.app[VOLUNTEER_CALLS].answer(request[USER_KEY], message_id, answer)
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _resident_page(request, form, 400)
    raise web.HTTPSeeOther(f"/volunteer-calls/{message_id}?notice=saved")


@access(RESIDENTS)
async def resident_answer_withdraw_post(request: web.Request) -> web.Response:
    message_id = path_id(request)
    await request.app[VOLUNTEER_CALLS].withdraw_answer(request[USER_KEY], message_id)
    raise web.HTTPSeeOther(f"/volunteer-calls/{message_id}?notice=withdrawn")


ROUTES = (
    ("GET", "/city/volunteer-calls", city_calls_get),
    ("POST", "/city/volunteer-calls", city_calls_post),
    ("GET", f"/city/volunteer-calls/{ID}", city_call_get),
    ("POST", f"/city/volunteer-calls/{ID}/withdraw", city_call_withdraw_post),
    ("GET", f"/volunteer-calls/{ID}", resident_call_get),
    ("POST", f"/volunteer-calls/{ID}", resident_answer_post),
    ("POST", f"/volunteer-calls/{ID}/withdraw", resident_answer_withdraw_post),
)
