"""JSON API of calls for volunteers: city staff send calls and read the answers; residents
answer on their home node."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import USER_KEY, VOLUNTEER_CALLS
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.models.volunteer_calls import (
    VolunteerCall,
    VolunteerCallResults,
    VolunteerReply,
)
from node.services.city_broadcast import Targets
from node.services.volunteer_calls import VolunteerAnswer, VolunteerCallDraft


def _call_json(call: VolunteerCall, answers: int) -> dict:
    return {
        "id": call.id,
        "object_uri": call.object_uri,
        "title": call.title,
        "description": call.description,
        "needed": call.needed,
        "ends_at": call.ends_at,
        "targets": list(call.targets),
        "created_at": call.created_at,
        "withdrawn_at": call.withdrawn_at,
        "answers": answers,
    }


def _results_json(results: VolunteerCallResults) -> dict:
    return {
        "call": _call_json(results.call, results.answers),
        "answers": results.answers,
        "neighbourhoods": [
            {
                "name": n.name,
                "host": n.host,
                "answers": n.answers,
                "received_at": n.received_at,
                "contacts": [
                    {"name": c.name, "contact": c.contact, "message": c.message} for c in n.contacts
                ],
            }
            for n in results.neighbourhoods
        ],
    }


def _reply_json(reply: VolunteerReply) -> dict:
    return {
        "share_contact": reply.share_contact,
        "contact_name": reply.contact_name,
        "contact_details": reply.contact_details,
        "message": reply.message,
        "answered_at": reply.answered_at,
    }


@access(CITY)
async def city_calls_list(request: web.Request) -> web.Response:
    summaries = await request.app[VOLUNTEER_CALLS].summaries()
    return web.json_response([_call_json(s.call, s.answers) for s in summaries])


@access(CITY)
async def city_call_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/volunteer-call-create")
    targets = Targets(
        local=tuple(body.get("neighbourhoods", [])),
        remote=tuple(body.get("remote_neighbourhoods", [])),
        everywhere=body.get("all_neighbourhoods", False),
    )
    service = request.app[VOLUNTEER_CALLS]
    call = await service.publish(
        request[USER_KEY],
        VolunteerCallDraft(
            title=body["title"],
            description=body["description"],
            targets=targets,
            needed=body.get("needed"),
            ends_at=body.get("ends_at"),
        ),
    )
    return web.json_response(_call_json(call, 0), status=201)


@access(CITY)
async def city_call_get(request: web.Request) -> web.Response:
    results = await request.app[VOLUNTEER_CALLS].results(path_id(request))
    return web.json_response(_results_json(results))


@access(CITY)
async def city_call_withdraw(request: web.Request) -> web.Response:
    await request.app[VOLUNTEER_CALLS].withdraw(request[USER_KEY], path_id(request))
    return web.Response(status=204)


@access(RESIDENTS)
async def answer_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/volunteer-call-answer")
    reply = await request.app[VOLUNTEER_CALLS].answer(
        request[USER_KEY],
        path_id(request),
        VolunteerAnswer(
            message=body.get("message", ""),
            share_contact=body.get("share_contact", False),
            contact_name=body.get("contact_name", ""),
            contact_details=body.get("contact_details", ""),
        ),
    )
    return web.json_response(_reply_json(reply))


@access(RESIDENTS)
async def answer_delete(request: web.Request) -> web.Response:
    await request.app[VOLUNTEER_CALLS].withdraw_answer(request[USER_KEY], path_id(request))
    return web.Response(status=204)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/city/volunteer-calls",
        city_calls_list,
        "The city's calls for volunteers, with the answers reported so far",
        response_schema="api/volunteer-call",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/city/volunteer-calls",
        city_call_create,
        "Send a call for volunteers to local and followed remote neighbourhoods",
        request_schema="api/volunteer-call-create",
        response_schema="api/volunteer-call",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/city/volunteer-calls/{id}",
        city_call_get,
        "Answers per neighbourhood, and the contacts volunteers chose to share",
        response_schema="api/volunteer-call-results",
    ),
    Operation(
        "DELETE",
        "/api/v1/city/volunteer-calls/{id}",
        city_call_withdraw,
        "Withdraw a call for volunteers everywhere (federated as Delete)",
        status=204,
    ),
    Operation(
        "PUT",
        "/api/v1/volunteer-calls/{id}/answer",
        answer_put,
        "Volunteer for a call received by your neighbourhood (by its local id), or change "
        "the answer; the contact goes to the city only with share_contact",
        request_schema="api/volunteer-call-answer",
        response_schema="api/volunteer-call-reply",
    ),
    Operation(
        "DELETE",
        "/api/v1/volunteer-calls/{id}/answer",
        answer_delete,
        "Withdraw your answer to a call for volunteers",
        status=204,
    ),
)
