"""The city dashboard: what city staff see and do. Counts only, never resident content."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from node.api.access import CITY, PUBLIC, RESIDENTS, access
from node.api.app_keys import (
    ANNOUNCEMENTS,
    CITY_EVENTS,
    CONFIG,
    REGISTER,
    STATISTICS,
    TRANSLATOR_KEY,
    USER_KEY,
)
from node.api.city_targets import form_with_targets, target_choices
from node.api.params import ID, path_id
from node.api.rendering import Form, render_page
from node.errors import N_, InvalidInput
from node.services.announcements import AnnouncementDraft


@access(CITY)
async def city_get(request: web.Request) -> web.Response:
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    # Neighbourhoods on other servers, as they last reported (this node's own are read live).
    overview = await request.app[STATISTICS].overview()
    remote = [n for n in overview.neighbourhoods if not n.local]
    return await render_page(request, "city/index.html", {"summaries": summaries, "remote": remote})


async def _announcements_page(request: web.Request, form: Form, status: int = 200):
    service = request.app[ANNOUNCEMENTS]
    announcements = await service.list()
    views = {
        a.id: await request.app[CITY_EVENTS].announcement_views(a.object_uri) for a in announcements
    }
    return await render_page(
        request,
        "city/announcements.html",
        {
            "announcements": announcements,
            "views": views,
            **await target_choices(request, form),
            "form": form,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(CITY)
async def announcements_get(request: web.Request) -> web.Response:
    return await _announcements_page(request, Form())


def _expiry(value: str, timezone: str) -> int | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput({"expires_at": N_("Give the date as day, month and year.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp())


@access(CITY)
async def announcements_post(request: web.Request) -> web.Response:
    values, targets = await form_with_targets(request)
    try:
        draft = AnnouncementDraft(
            title=values.get("title", ""),
            body=values.get("body", ""),
            urgent=values.get("urgent") == "on",
            pinned=values.get("pinned") == "on",
            expires_at=_expiry(values.get("expires_at", ""), request.app[CONFIG].node.timezone),
            local_neighbourhoods=tuple(
                int(t.removeprefix("local:"))
                for t in targets
                if t.startswith("local:") and t[6:].isdigit()
            ),
            remote_neighbourhoods=tuple(t for t in targets if t.startswith("http")),
            all_neighbourhoods="all" in targets,
            public=values.get("public") == "on",
        )
        await request.app[ANNOUNCEMENTS].publish(request[USER_KEY], draft)
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _announcements_page(request, form, 400)
    raise web.HTTPSeeOther("/city/announcements?notice=published")


async def _edit_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    announcement = await request.app[ANNOUNCEMENTS].get(path_id(request))
    if announcement.withdrawn_at is not None:
        raise web.HTTPSeeOther("/city/announcements")
    return await render_page(
        request, "city/announcement_edit.html", {"a": announcement, "form": form}, status=status
    )


@access(CITY)
async def announcement_edit_get(request: web.Request) -> web.Response:
    announcement = await request.app[ANNOUNCEMENTS].get(path_id(request))
    timezone = ZoneInfo(request.app[CONFIG].node.timezone)
    expires = announcement.expires_at
    form = Form(
        values={
            "title": announcement.title,
            "body": announcement.body,
            "urgent": "on" if announcement.urgent else "",
            "pinned": "on" if announcement.pinned else "",
            "expires_at": datetime.fromtimestamp(expires, timezone).date().isoformat()
            if expires
            else "",
        }
    )
    return await _edit_page(request, form)


@access(CITY)
async def announcement_edit_post(request: web.Request) -> web.Response:
    """An edit goes everywhere the announcement went: at once here, as an `Update` elsewhere."""
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        await request.app[ANNOUNCEMENTS].edit(
            request[USER_KEY],
            path_id(request),
            title=values.get("title", ""),
            body=values.get("body", ""),
            urgent=values.get("urgent") == "on",
            pinned=values.get("pinned") == "on",
            expires_at=_expiry(values.get("expires_at", ""), request.app[CONFIG].node.timezone),
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _edit_page(request, form, 400)
    raise web.HTTPSeeOther("/city/announcements?notice=edited")


@access(CITY)
async def announcement_withdraw_post(request: web.Request) -> web.Response:
    await request.app[ANNOUNCEMENTS].withdraw(request[USER_KEY], int(request.match_info["id"]))
    raise web.HTTPSeeOther("/city/announcements?notice=withdrawn")


@access(RESIDENTS)
async def city_message_get(request: web.Request) -> web.Response:
    """A message from the city, as a resident of a neighbourhood it was sent to reads it."""
    user = request[USER_KEY]
    message = await request.app[ANNOUNCEMENTS].message_for_resident(user, path_id(request))
    await request.app[CITY_EVENTS].record_view(user, message.id)
    return await render_page(request, "city/message.html", {"m": message})


@access(PUBLIC)
async def public_announcement_get(request: web.Request) -> web.Response:
    announcement = await request.app[ANNOUNCEMENTS].public(request.match_info["uuid"])
    return await render_page(request, "city/public_announcement.html", {"a": announcement})


ROUTES = (
    ("GET", "/city", city_get),
    ("GET", "/city/announcements", announcements_get),
    ("POST", "/city/announcements", announcements_post),
    ("GET", f"/city/announcements/{ID}/edit", announcement_edit_get),
    ("POST", f"/city/announcements/{ID}/edit", announcement_edit_post),
    ("POST", f"/city/announcements/{ID}/withdraw", announcement_withdraw_post),
    ("GET", r"/announcements/{uuid:[0-9a-f-]{36}}", public_announcement_get),
    ("GET", f"/city-messages/{ID}", city_message_get),
)
