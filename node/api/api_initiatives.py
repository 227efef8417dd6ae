"""JSON API of citizen initiatives: residents propose and support; city staff read and answer."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import INITIATIVES, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.models.initiatives import CityInitiative, InitiativeView


def _initiative_json(view: InitiativeView) -> dict:
    i = view.initiative
    return {
        "id": i.id,
        "title": i.title,
        "body": i.body,
        "body_html": view.body_html,
        "status": i.status.value,
        "supporters": i.supporters,
        "threshold": view.threshold,
        "supported": view.supported,
        "is_author": view.is_author,
        "created_at": i.created_at,
        "sent_at": i.sent_at,
        "answered_at": i.answered_at,
        "answer_html": i.answer_html,
    }


def _city_initiative_json(i: CityInitiative) -> dict:
    return {
        "id": i.id,
        "object_uri": i.object_uri,
        "neighbourhood_uri": i.neighbourhood_uri,
        "neighbourhood_name": i.neighbourhood_name,
        "title": i.title,
        "body_html": i.body_html,
        "supporters": i.supporters,
        "received_at": i.received_at,
        "updated_at": i.updated_at,
        "answered_at": i.answered_at,
        "answer_html": i.answer_html,
    }


@access(RESIDENTS)
async def initiatives_list(request: web.Request) -> web.Response:
    items = await request.app[INITIATIVES].list_for(request[USER_KEY])
    return web.json_response([_initiative_json(v) for v in items])


@access(RESIDENTS)
async def initiatives_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/initiative-create")
    view = await request.app[INITIATIVES].propose(request[USER_KEY], body["title"], body["body"])
    return web.json_response(_initiative_json(view), status=201)


@access(RESIDENTS)
async def initiative_show(request: web.Request) -> web.Response:
    view = await request.app[INITIATIVES].get_for(request[USER_KEY], path_id(request))
    return web.json_response(_initiative_json(view))


@access(RESIDENTS)
async def initiative_support(request: web.Request) -> web.Response:
    view = await request.app[INITIATIVES].support(request[USER_KEY], path_id(request))
    return web.json_response(_initiative_json(view))


@access(RESIDENTS)
async def initiative_unsupport(request: web.Request) -> web.Response:
    view = await request.app[INITIATIVES].withdraw_support(request[USER_KEY], path_id(request))
    return web.json_response(_initiative_json(view))


@access(CITY)
async def city_initiatives_list(request: web.Request) -> web.Response:
    items = await request.app[INITIATIVES].city_list()
    return web.json_response([_city_initiative_json(i) for i in items])


@access(CITY)
async def city_initiative_answer(request: web.Request) -> web.Response:
    body = await json_body(request, "api/initiative-answer-create")
    initiative = await request.app[INITIATIVES].answer(
        request[USER_KEY], path_id(request), body["answer"]
    )
    return web.json_response(_city_initiative_json(initiative))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/initiatives",
        initiatives_list,
        "The citizen initiatives of the caller's neighbourhood",
        response_schema="api/initiative",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/initiatives",
        initiatives_create,
        "Propose a citizen initiative (the author is its first supporter)",
        request_schema="api/initiative-create",
        response_schema="api/initiative",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/initiatives/{id}",
        initiative_show,
        "One initiative of the caller's neighbourhood",
        response_schema="api/initiative",
    ),
    Operation(
        "PUT",
        "/api/v1/initiatives/{id}/support",
        initiative_support,
        "Support an initiative; at the threshold it goes to the city with the count only",
        response_schema="api/initiative",
    ),
    Operation(
        "DELETE",
        "/api/v1/initiatives/{id}/support",
        initiative_unsupport,
        "Withdraw one's support",
        response_schema="api/initiative",
    ),
    Operation(
        "GET",
        "/api/v1/city/initiatives",
        city_initiatives_list,
        "Initiatives received by the city: text and number of supporters, never names",
        response_schema="api/initiative-city",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/city/initiatives/{id}/answer",
        city_initiative_answer,
        "Answer an initiative; the answer is sent to its neighbourhood",
        request_schema="api/initiative-answer-create",
        response_schema="api/initiative-city",
    ),
)
