"""JSON API of city events: staff publish, follow (counts only) and withdraw; residents answer."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import CITY_EVENTS, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.models.city_events import Attendance, CityEvent, ResidentEvent
from node.services.city_broadcast import Targets
from node.services.city_events import EventDraft


def _event_json(e: CityEvent, attendance: Attendance) -> dict:
    return {
        "id": e.id,
        "object_uri": e.object_uri,
        "title": e.title,
        "description": e.description,
        "location": e.location,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "workshop": e.workshop,
        "created_at": e.created_at,
        "withdrawn_at": e.withdrawn_at,
        "going": attendance.going,
        "maybe": attendance.maybe,
    }


@access(CITY)
async def city_events_list(request: web.Request) -> web.Response:
    items = await request.app[CITY_EVENTS].list_events()
    return web.json_response([_event_json(e, a) for e, a in items])


@access(CITY)
async def city_events_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/city-event-create")
    service = request.app[CITY_EVENTS]
    event = await service.create(
        request[USER_KEY],
        EventDraft(
            title=body["title"],
            description=body.get("description", ""),
            location=body["location"],
            starts_at=body["starts_at"],
            ends_at=body.get("ends_at"),
            workshop=body.get("workshop", False),
            targets=Targets(
                local=tuple(body.get("neighbourhoods", [])),
                remote=tuple(body.get("remote_neighbourhoods", [])),
                everywhere=body.get("all_neighbourhoods", False),
            ),
            public=body.get("public", True),
        ),
    )
    return web.json_response(_event_json(event, Attendance.of([], 0)), status=201)


@access(CITY)
async def city_event_get(request: web.Request) -> web.Response:
    detail = await request.app[CITY_EVENTS].detail(path_id(request))
    attendance = detail.attendance
    return web.json_response(
        {
            **_event_json(detail.event, attendance),
            "public": detail.public,
            "targets": list(detail.targets),
            "neighbourhoods_reported": len(attendance.rows),
            "neighbourhoods_targeted": attendance.targets,
            "per_neighbourhood": [
                {
                    "neighbourhood": r.neighbourhood_name,
                    "host": r.host,
                    "going": r.going,
                    "maybe": r.maybe,
                    "final": r.final,
                    "received_at": r.received_at,
                }
                for r in attendance.rows
            ],
        }
    )


@access(CITY)
async def city_event_withdraw(request: web.Request) -> web.Response:
    await request.app[CITY_EVENTS].withdraw(request[USER_KEY], path_id(request))
    return web.Response(status=204)


def _answer_json(e: ResidentEvent) -> dict:
    return {
        "answer": e.my_answer.value,
        "neighbourhood_going": e.neighbourhood.going,
        "neighbourhood_maybe": e.neighbourhood.maybe,
    }


@access(RESIDENTS)
async def city_event_rsvp(request: web.Request) -> web.Response:
    body = await json_body(request, "api/city-event-rsvp")
    event = await request.app[CITY_EVENTS].rsvp(request[USER_KEY], path_id(request), body["answer"])
    return web.json_response(_answer_json(event))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/city/events",
        city_events_list,
        "The city's events and workshops, with the answers neighbourhoods reported",
        response_schema="api/city-event",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/city/events",
        city_events_create,
        "Publish an event or workshop to local and followed remote neighbourhoods",
        request_schema="api/city-event-create",
        response_schema="api/city-event",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/city/events/{id}",
        city_event_get,
        "An event with its answer counts, in total and per neighbourhood (never names)",
        response_schema="api/city-event-detail",
    ),
    Operation(
        "DELETE",
        "/api/v1/city/events/{id}",
        city_event_withdraw,
        "Withdraw an event everywhere (federated as Delete)",
        status=204,
    ),
    Operation(
        "PUT",
        "/api/v1/city-events/{id}/rsvp",
        city_event_rsvp,
        "Answer a city event sent to your neighbourhood (id: the city message); "
        "'none' takes the answer back",
        request_schema="api/city-event-rsvp",
        response_schema="api/city-event-rsvp-result",
    ),
)
