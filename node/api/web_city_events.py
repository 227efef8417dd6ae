"""Pages of city events: staff create and follow them (counts only), residents answer on
their home node, and anyone may read a public event (the `url` fediverse followers get)."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, PUBLIC, RESIDENTS, access
from node.api.app_keys import CITY_EVENTS, TRANSLATOR_KEY, USER_KEY
from node.api.city_targets import form_with_targets, target_choices
from node.api.params import ID, path_id
from node.api.rendering import Form, form_values, render_page
from node.errors import N_, InvalidInput
from node.services.city_broadcast import Targets
from node.services.city_events import EventDraft
from node.services.rich_text import render_markdown

# Labels of the answers, in the order the buttons show (msgids: translated in the template).
RSVP_LABELS = {"going": N_("I'm going"), "maybe": N_("Maybe"), "none": N_("Not going")}


async def _events_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    service = request.app[CITY_EVENTS]
    return await render_page(
        request,
        "city_events/index.html",
        {
            "events": await service.list_events(),
            **await target_choices(request, form),
            "form": form,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(CITY)
async def city_events_get(request: web.Request) -> web.Response:
    return await _events_page(request, Form())


@access(CITY)
async def city_events_post(request: web.Request) -> web.Response:
    values, targets = await form_with_targets(request)
    # An unticked box sends nothing: remember "off" so a failed form keeps it unticked.
    values.setdefault("public", "off")
    try:
        event = await request.app[CITY_EVENTS].create(
            request[USER_KEY],
            EventDraft(
                title=values.get("title", ""),
                description=values.get("description", ""),
                location=values.get("location", ""),
                starts_at=values.get("starts_at", ""),
                ends_at=values.get("ends_at", ""),
                workshop=values.get("workshop") == "on",
                targets=Targets.from_form(targets),
                public=values.get("public") == "on",
            ),
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _events_page(request, form, 400)
    raise web.HTTPSeeOther(f"/city/events/{event.id}?notice=published")


@access(CITY)
async def city_event_get(request: web.Request) -> web.Response:
    detail = await request.app[CITY_EVENTS].detail(path_id(request))
    return await render_page(
        request,
        "city_events/detail.html",
        {
            "d": detail,
            "e": detail.event,
            "description_html": render_markdown(detail.event.description),
            "notice": request.query.get("notice", ""),
        },
    )


@access(CITY)
async def city_event_withdraw_post(request: web.Request) -> web.Response:
    event_id = path_id(request)
    await request.app[CITY_EVENTS].withdraw(request[USER_KEY], event_id)
    raise web.HTTPSeeOther(f"/city/events/{event_id}?notice=withdrawn")


@access(PUBLIC)
async def public_event_get(request: web.Request) -> web.Response:
    event = await request.app[CITY_EVENTS].public_event(request.match_info["uuid"])
    return await render_page(
        request,
        "city_events/public.html",
        {"e": event, "description_html": render_markdown(event.description)},
    )


async def _resident_page(request: web.Request, event, form: Form, status: int = 200):
    return await render_page(
        request,
        "city_events/resident.html",
        {
            "e": event,
            "form": form,
            "rsvp_labels": RSVP_LABELS,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(RESIDENTS)
async def resident_event_get(request: web.Request) -> web.Response:
    event = await request.app[CITY_EVENTS].for_resident(request[USER_KEY], path_id(request))
    return await _resident_page(request, event, Form())


@access(RESIDENTS)
async def resident_rsvp_post(request: web.Request) -> web.Response:
    message_id = path_id(request)
    values = await form_values(request)
    service = request.app[CITY_EVENTS]
    try:
        await service.rsvp(request[USER_KEY], message_id, values.get("answer", ""))
    except InvalidInput as exc:
        event = await service.for_resident(request[USER_KEY], message_id)
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _resident_page(request, event, form, 400)
    raise web.HTTPSeeOther(f"/city-events/{message_id}?notice=answered#rsvp")


ROUTES = (
    ("GET", "/city/events", city_events_get),
    ("POST", "/city/events", city_events_post),
    ("GET", f"/city/events/{ID}", city_event_get),
    ("POST", f"/city/events/{ID}/withdraw", city_event_withdraw_post),
    ("GET", r"/public/events/{uuid:[0-9a-f-]{36}}", public_event_get),
    ("GET", f"/city-events/{ID}", resident_event_get),
    ("POST", f"/city-events/{ID}/rsvp", resident_rsvp_post),
)
