"""JSON API of the city dashboard: announcements (more city tools build on this)."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, access
from node.api.app_keys import ANNOUNCEMENTS, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.models.federation import Announcement
from node.services.announcements import AnnouncementDraft


def _announcement_json(a: Announcement) -> dict:
    return {
        "id": a.id,
        "object_uri": a.object_uri,
        "title": a.title,
        "body": a.body,
        "urgent": a.urgent,
        "pinned": a.pinned,
        "expires_at": a.expires_at,
        "all_neighbourhoods": a.all_neighbourhoods,
        "targets": list(a.targets),
        "created_at": a.created_at,
        "withdrawn_at": a.withdrawn_at,
    }


@access(CITY)
async def announcements_list(request: web.Request) -> web.Response:
    items = await request.app[ANNOUNCEMENTS].list()
    return web.json_response([_announcement_json(a) for a in items])


@access(CITY)
async def announcements_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/announcement-create")
    announcement = await request.app[ANNOUNCEMENTS].publish(
        request[USER_KEY],
        AnnouncementDraft(
            title=body["title"],
            body=body["body"],
            urgent=body.get("urgent", False),
            pinned=body.get("pinned", False),
            expires_at=body.get("expires_at"),
            local_neighbourhoods=tuple(body.get("neighbourhoods", [])),
            remote_neighbourhoods=tuple(body.get("remote_neighbourhoods", [])),
            all_neighbourhoods=body.get("all_neighbourhoods", False),
            public=body.get("public", True),
        ),
    )
    return web.json_response(_announcement_json(announcement), status=201)


@access(CITY)
async def announcement_edit(request: web.Request) -> web.Response:
    body = await json_body(request, "api/announcement-edit")
    announcement = await request.app[ANNOUNCEMENTS].edit(
        request[USER_KEY],
        path_id(request),
        title=body["title"],
        body=body["body"],
        urgent=body.get("urgent", False),
        pinned=body.get("pinned", False),
        expires_at=body.get("expires_at"),
    )
    return web.json_response(_announcement_json(announcement))


@access(CITY)
async def announcement_withdraw(request: web.Request) -> web.Response:
    await request.app[ANNOUNCEMENTS].withdraw(request[USER_KEY], int(request.match_info["id"]))
    return web.Response(status=204)


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/announcements",
        announcements_list,
        "The city's announcements",
        response_schema="api/announcement",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/announcements",
        announcements_create,
        "Publish an announcement to local and followed remote neighbourhoods",
        request_schema="api/announcement-create",
        response_schema="api/announcement",
        status=201,
    ),
    Operation(
        "PUT",
        "/api/v1/announcements/{id}",
        announcement_edit,
        "Edit an announcement everywhere it went (federated as Update); targets stay",
        request_schema="api/announcement-edit",
        response_schema="api/announcement",
    ),
    Operation(
        "DELETE",
        "/api/v1/announcements/{id}",
        announcement_withdraw,
        "Withdraw an announcement everywhere (federated as Delete)",
        status=204,
    ),
)
