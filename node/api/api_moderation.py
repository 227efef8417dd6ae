"""JSON API of moderation and of a resident's own data."""

from __future__ import annotations

from aiohttp import web

from node.api.access import MODERATORS, RESIDENTS, SIGNED_IN, access
from node.api.app_keys import MODERATION, PRIVACY, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import query_int
from node.models.moderation import HouseRules, ItemKind, LogEntry, Member, ReportedItem


def _reported_item_json(item: ReportedItem) -> dict:
    return {
        "kind": item.kind.value,
        "id": item.id,
        "post_id": item.post_id,
        "neighbourhood_id": item.neighbourhood_id,
        "neighbourhood": item.neighbourhood_name,
        "author": item.author_name,
        "title": item.title,
        "body": item.body,
        "status": item.status,
        "created_at": item.created_at,
        "report_count": item.report_count,
        "reasons": [
            {"reason": r.reason.value, "details": r.details, "created_at": r.created_at}
            for r in item.reasons
        ],
    }


def _member_json(member: Member) -> dict:
    return {
        "id": member.id,
        "display_name": member.display_name,
        "role": member.role.value,
        "status": member.status.value,
        "neighbourhood_id": member.neighbourhood_id,
        "neighbourhood": member.neighbourhood_name,
        "joined_at": member.created_at,
    }


def _rules_json(rules: HouseRules) -> dict:
    return {
        "neighbourhood_id": rules.neighbourhood_id,
        "neighbourhood": rules.neighbourhood_name,
        "body": rules.body,
        "body_html": rules.body_html,
        "is_default": rules.is_default,
        "updated_at": rules.updated_at,
    }


def _log_json(entry: LogEntry) -> dict:
    return {
        "id": entry.id,
        "neighbourhood_id": entry.neighbourhood_id,
        "moderator": entry.moderator_name,
        "action": entry.action,
        "target_user_id": entry.target_user_id,
        "target_user": entry.target_user_name,
        "post_id": entry.post_id,
        "comment_id": entry.comment_id,
        "note": entry.note,
        "created_at": entry.created_at,
    }


def _paged(items: list, total: int) -> web.Response:
    response = web.json_response(items)
    response.headers["X-Total-Count"] = str(total)
    return response


async def _report(request: web.Request, kind: ItemKind) -> web.Response:
    body = await json_body(request, "api/report-create")
    report = await request.app[MODERATION].report(
        request[USER_KEY],
        kind,
        int(request.match_info["id"]),
        body["reason"],
        body.get("details", ""),
    )
    return web.json_response(
        {
            "id": report.id,
            "kind": report.kind.value,
            "post_id": report.post_id,
            "comment_id": report.comment_id,
            "reason": report.reason.value,
            "details": report.details,
            "created_at": report.created_at,
        },
        status=201,
    )


@access(RESIDENTS)
async def post_report(request: web.Request) -> web.Response:
    return await _report(request, ItemKind.POST)


@access(RESIDENTS)
async def comment_report(request: web.Request) -> web.Response:
    return await _report(request, ItemKind.COMMENT)


@access(MODERATORS)
async def reports_list(request: web.Request) -> web.Response:
    items = await request.app[MODERATION].queue(
        request[USER_KEY], query_int(request, "neighbourhood")
    )
    return web.json_response([_reported_item_json(item) for item in items])


async def _act(request: web.Request, kind: ItemKind) -> web.Response:
    body = await json_body(request, "api/moderation-action")
    result = await request.app[MODERATION].act_on_item(
        request[USER_KEY], kind, int(request.match_info["id"]), body["action"], body.get("note", "")
    )
    return web.json_response(
        {
            "neighbourhood_id": result.neighbourhood_id,
            "status": result.status,
            "reports_resolved": result.reports_resolved,
        }
    )


@access(MODERATORS)
async def post_moderate(request: web.Request) -> web.Response:
    return await _act(request, ItemKind.POST)


@access(MODERATORS)
async def comment_moderate(request: web.Request) -> web.Response:
    return await _act(request, ItemKind.COMMENT)


@access(MODERATORS)
async def members_list(request: web.Request) -> web.Response:
    page = await request.app[MODERATION].members(
        request[USER_KEY], query_int(request, "neighbourhood"), query_int(request, "page") or 1
    )
    return _paged([_member_json(m) for m in page.items], page.total)


@access(MODERATORS)
async def member_act(request: web.Request) -> web.Response:
    body = await json_body(request, "api/member-action")
    member = await request.app[MODERATION].act_on_member(
        request[USER_KEY], int(request.match_info["id"]), body["action"], body.get("note", "")
    )
    return web.json_response(_member_json(member))


@access(RESIDENTS)
async def rules_get(request: web.Request) -> web.Response:
    return web.json_response(
        _rules_json(await request.app[MODERATION].rules_for(request[USER_KEY]))
    )


@access(MODERATORS)
async def rules_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/house-rules-update")
    rules = await request.app[MODERATION].update_rules(
        request[USER_KEY], body["body"], body.get("neighbourhood")
    )
    return web.json_response(_rules_json(rules))


@access(MODERATORS)
async def log_list(request: web.Request) -> web.Response:
    page = await request.app[MODERATION].log(
        request[USER_KEY], query_int(request, "neighbourhood"), query_int(request, "page") or 1
    )
    return _paged([_log_json(e) for e in page.items], page.total)


@access(SIGNED_IN)
async def my_data_get(request: web.Request) -> web.Response:
    return web.json_response(await request.app[PRIVACY].export(request[USER_KEY]))


_NEIGHBOURHOOD = ("neighbourhood", "integer", "Neighbourhood id (admins; moderators see their own)")
_PAGE = ("page", "integer", "Page, from 1 (50 per page; X-Total-Count)")

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/api/v1/posts/{id}/report",
        post_report,
        "Report a post you can see to the neighbourhood's moderators",
        request_schema="api/report-create",
        response_schema="api/report",
        status=201,
    ),
    Operation(
        "POST",
        "/api/v1/comments/{id}/report",
        comment_report,
        "Report a comment you can see to the neighbourhood's moderators",
        request_schema="api/report-create",
        response_schema="api/report",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/moderation/reports",
        reports_list,
        "Posts and comments with open reports, grouped per item",
        response_schema="api/reported-item",
        response_is_list=True,
        query=(_NEIGHBOURHOOD,),
    ),
    Operation(
        "POST",
        "/api/v1/moderation/posts/{id}",
        post_moderate,
        "Hide, restore or keep a post; closes its open reports",
        request_schema="api/moderation-action",
        response_schema="api/moderation-result",
    ),
    Operation(
        "POST",
        "/api/v1/moderation/comments/{id}",
        comment_moderate,
        "Hide, restore or keep a comment; closes its open reports",
        request_schema="api/moderation-action",
        response_schema="api/moderation-result",
    ),
    Operation(
        "GET",
        "/api/v1/moderation/members",
        members_list,
        "Members of the neighbourhood",
        response_schema="api/member",
        response_is_list=True,
        query=(_NEIGHBOURHOOD, _PAGE),
    ),
    Operation(
        "POST",
        "/api/v1/moderation/members/{id}",
        member_act,
        "Warn, suspend or unsuspend a member",
        request_schema="api/member-action",
        response_schema="api/member",
    ),
    Operation(
        "GET",
        "/api/v1/rules",
        rules_get,
        "The house rules of your neighbourhood",
        response_schema="api/house-rules",
    ),
    Operation(
        "PUT",
        "/api/v1/moderation/rules",
        rules_put,
        "Replace the house rules of the neighbourhood",
        request_schema="api/house-rules-update",
        response_schema="api/house-rules",
    ),
    Operation(
        "GET",
        "/api/v1/moderation/log",
        log_list,
        "The moderation log, newest first",
        response_schema="api/moderation-log-entry",
        response_is_list=True,
        query=(_NEIGHBOURHOOD, _PAGE),
    ),
    Operation(
        "GET",
        "/api/v1/me/data",
        my_data_get,
        "Everything the node holds about you (GDPR export)",
        response_schema="api/data-export",
    ),
)
