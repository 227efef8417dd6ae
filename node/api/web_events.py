"""Resident events: the calendar page, iCalendar feeds and the secret feed URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from node.api.access import PUBLIC, RESIDENTS, access
from node.api.app_keys import CITY_EVENTS, CONFIG, POSTS, USER_KEY
from node.api.rendering import render_page
from node.models.city_events import ResidentEvent
from node.models.posts import UpcomingEvent

ICAL = "text/calendar"


def _ical_response(body: bytes, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=ICAL,
        charset="utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'inline; filename="{name}"',
        },
    )


@dataclass(frozen=True)
class CalendarDay:
    """One local day of the events page: residents' events ("post") and the city's ("city"),
    by start time."""

    day: date
    timestamp: int  # the first event's start, for formatting the day
    items: tuple[tuple[str, object], ...]


def calendar_days(
    neighbours: list[UpcomingEvent], city: list[ResidentEvent], timezone: ZoneInfo
) -> list[CalendarDay]:
    items = [("post", e, e.starts_at) for e in neighbours]
    items += [("city", e, e.starts_at) for e in city if e.starts_at is not None]
    items.sort(key=lambda item: item[2])
    days: list[CalendarDay] = []
    for kind, event, starts_at in items:
        day = datetime.fromtimestamp(starts_at, timezone).date()
        if days and days[-1].day == day:
            last = days[-1]
            days[-1] = CalendarDay(day, last.timestamp, (*last.items, (kind, event)))
        else:
            days.append(CalendarDay(day, starts_at, ((kind, event),)))
    return days


async def _events_page(request: web.Request, new_url: str | None = None) -> web.Response:
    events = request.app[POSTS].events
    user = request[USER_KEY]
    days = calendar_days(
        await events.upcoming(user),
        await request.app[CITY_EVENTS].upcoming_for_resident(user),
        ZoneInfo(request.app[CONFIG].node.timezone),
    )
    return await render_page(
        request,
        "posts/events.html",
        {
            "days": days,
            "token_created_at": await events.calendar_token_created_at(user),
            "new_url": new_url,
            "notice": request.query.get("notice", ""),
        },
    )


@access(RESIDENTS)
async def events_get(request: web.Request) -> web.Response:
    return await _events_page(request)


@access(RESIDENTS)
async def calendar_link_post(request: web.Request) -> web.Response:
    events = request.app[POSTS].events
    token = await events.create_calendar_token(request[USER_KEY])
    # The secret is shown once, on this answer; only its hash is kept.
    return await _events_page(request, new_url=events.calendar_url(token))


@access(RESIDENTS)
async def calendar_link_revoke_post(request: web.Request) -> web.Response:
    await request.app[POSTS].events.revoke_calendar_token(request[USER_KEY])
    raise web.HTTPSeeOther("/events?notice=revoked")


@access(RESIDENTS)
async def neighbourhood_calendar_get(request: web.Request) -> web.Response:
    body = await request.app[POSTS].events.calendar(request[USER_KEY])
    return _ical_response(body, "neighbourhood.ics")


@access(PUBLIC)  # the secret in the URL is the credential: calendar apps send no cookie
async def token_calendar_get(request: web.Request) -> web.Response:
    body = await request.app[POSTS].events.calendar_for_token(request.match_info["token"])
    return _ical_response(body, "neighbourhood.ics")


ROUTES = (
    ("GET", "/events", events_get),
    ("POST", "/events/calendar-link", calendar_link_post),
    ("POST", "/events/calendar-link/revoke", calendar_link_revoke_post),
    ("GET", "/neighbourhood/calendar.ics", neighbourhood_calendar_get),
    ("GET", "/calendar/{token}.ics", token_calendar_get),
)
