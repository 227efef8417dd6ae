"""Moderator pages: requests to join, reports, the queue, members, house rules, audit log."""

from __future__ import annotations

from aiohttp import web

from node.api.access import MODERATORS, RESIDENTS, access
from node.api.app_keys import ACCOUNTS, MODERATION, TRANSLATOR_KEY, USER_KEY
from node.api.params import ID, int_or_none
from node.api.rendering import Form, form_values, render_page
from node.errors import Conflict, InvalidInput
from node.models import Role
from node.models.moderation import ItemKind, ReportReason


def _flash_redirect(path: str, notice: str) -> web.HTTPSeeOther:
    separator = "&" if "?" in path else "?"
    return web.HTTPSeeOther(f"{path}{separator}notice={notice}")


def _int_query(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = int_or_none(request.query.get(name))
    return default if value is None else value


def _neighbourhood_suffix(neighbourhood_id: int | None) -> str:
    return f"?neighbourhood={neighbourhood_id}" if neighbourhood_id else ""


@access(MODERATORS)
async def join_requests_get(request: web.Request) -> web.Response:
    requests = await request.app[ACCOUNTS].open_join_requests(request[USER_KEY])
    return await render_page(
        request,
        "moderation/join_requests.html",
        {"join_requests": requests, "notice": request.query.get("notice", "")},
    )


@access(MODERATORS)
async def join_request_decide_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    approve = values.get("decision") == "approve"
    await request.app[ACCOUNTS].decide_join_request(
        request[USER_KEY], int(request.match_info["id"]), approve
    )
    raise _flash_redirect("/moderation/join-requests", "approved" if approve else "declined")


# -- reporting (residents) --------------------------------------------------------------------


async def _report_page(
    request: web.Request, kind: ItemKind, form: Form | None = None, status: int = 200, **extra
) -> web.Response:
    item_id = int(request.match_info["id"])
    target = await request.app[MODERATION].reportable(request[USER_KEY], kind, item_id)
    context = {
        "kind": kind.value,
        "item_id": item_id,
        "post_id": target.post_id,
        "reasons": [reason.value for reason in ReportReason],
        "sent": request.query.get("sent") == "1",
        "already": False,
        **extra,
    }
    if form is not None:
        context["form"] = form
    return await render_page(request, "moderation/report.html", context, status=status)


async def _report_post(request: web.Request, kind: ItemKind) -> web.Response:
    values = await form_values(request)
    item_id = int(request.match_info["id"])
    try:
        await request.app[MODERATION].report(
            request[USER_KEY],
            kind,
            item_id,
            values.get("reason", ""),
            values.get("details", ""),
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _report_page(request, kind, form, status=400)
    except Conflict:
        return await _report_page(request, kind, sent=True, already=True)
    raise web.HTTPSeeOther(f"/{kind.value}s/{item_id}/report?sent=1")


@access(RESIDENTS)
async def post_report_get(request: web.Request) -> web.Response:
    return await _report_page(request, ItemKind.POST)


@access(RESIDENTS)
async def post_report_post(request: web.Request) -> web.Response:
    return await _report_post(request, ItemKind.POST)


@access(RESIDENTS)
async def comment_report_get(request: web.Request) -> web.Response:
    return await _report_page(request, ItemKind.COMMENT)


@access(RESIDENTS)
async def comment_report_post(request: web.Request) -> web.Response:
    return await _report_post(request, ItemKind.COMMENT)


# -- the queue --------------------------------------------------------------------------------


@access(MODERATORS)
async def queue_get(request: web.Request) -> web.Response:
    moderation = request.app[MODERATION]
    viewer = request[USER_KEY]
    selected = _int_query(request, "neighbourhood")
    return await render_page(
        request,
        "moderation/queue.html",
        {
            "items": await moderation.queue(viewer, selected),
            "neighbourhoods": await moderation.neighbourhoods_for(viewer),
            "selected": selected,
            "notice": request.query.get("notice", ""),
            "active": "queue",
        },
    )


async def _act_on_item(request: web.Request, kind: ItemKind) -> web.Response:
    values = await form_values(request)
    await request.app[MODERATION].act_on_item(
        request[USER_KEY],
        kind,
        int(request.match_info["id"]),
        values.get("action", ""),
        values.get("note", ""),
    )
    back = "/moderation" + _neighbourhood_suffix(_int_query(request, "neighbourhood"))
    raise _flash_redirect(back, values.get("action", ""))


@access(MODERATORS)
async def moderate_post_post(request: web.Request) -> web.Response:
    return await _act_on_item(request, ItemKind.POST)


@access(MODERATORS)
async def moderate_comment_post(request: web.Request) -> web.Response:
    return await _act_on_item(request, ItemKind.COMMENT)


# -- members ----------------------------------------------------------------------------------


@access(MODERATORS)
async def members_get(request: web.Request) -> web.Response:
    moderation = request.app[MODERATION]
    viewer = request[USER_KEY]
    selected = _int_query(request, "neighbourhood")
    page = await moderation.members(viewer, selected, _int_query(request, "page", 1) or 1)
    return await render_page(
        request,
        "moderation/members.html",
        {
            "members": page,
            "neighbourhoods": await moderation.neighbourhoods_for(viewer),
            "selected": selected,
            "active": "members",
        },
    )


async def _member_page(request: web.Request, form: Form | None = None, status: int = 200):
    member, notices = await request.app[MODERATION].member(
        request[USER_KEY], int(request.match_info["id"])
    )
    context = {
        "member": member,
        "notices": notices,
        "notice": request.query.get("notice", ""),
        "active": "members",
    }
    if form is not None:
        context["form"] = form
    return await render_page(request, "moderation/member.html", context, status=status)


@access(MODERATORS)
async def member_get(request: web.Request) -> web.Response:
    return await _member_page(request)


@access(MODERATORS)
async def member_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    member_id = int(request.match_info["id"])
    action = values.get("action", "")
    try:
        await request.app[MODERATION].act_on_member(
            request[USER_KEY], member_id, action, values.get("note", "")
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _member_page(request, form, status=400)
    raise _flash_redirect(f"/moderation/members/{member_id}", action)


# -- house rules ------------------------------------------------------------------------------


@access(RESIDENTS)
async def rules_get(request: web.Request) -> web.Response:
    rules = await request.app[MODERATION].rules_for(request[USER_KEY])
    return await render_page(request, "moderation/rules.html", {"rules": rules})


async def _rules_edit_page(
    request: web.Request, selected: int | None, form: Form | None = None, status: int = 200
) -> web.Response:
    moderation = request.app[MODERATION]
    viewer = request[USER_KEY]
    neighbourhoods = await moderation.neighbourhoods_for(viewer)
    if viewer.role is Role.ADMIN:
        # An admin edits one neighbourhood at a time: the one chosen, else the first.
        if selected is None and neighbourhoods:
            selected = neighbourhoods[0].id
        rules = await moderation.rules_to_edit(viewer, selected) if selected else None
    else:
        rules = await moderation.rules_to_edit(viewer)
    if form is None:
        form = Form({"body": rules.body if rules else ""})
    return await render_page(
        request,
        "moderation/rules_edit.html",
        {
            "rules": rules,
            "form": form,
            "neighbourhoods": neighbourhoods,
            "selected": selected,
            "notice": request.query.get("notice", ""),
            "active": "rules",
        },
        status=status,
    )


@access(MODERATORS)
async def rules_edit_get(request: web.Request) -> web.Response:
    return await _rules_edit_page(request, _int_query(request, "neighbourhood"))


@access(MODERATORS)
async def rules_edit_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    raw = values.get("neighbourhood", "")
    selected = int_or_none(raw)
    try:
        await request.app[MODERATION].update_rules(
            request[USER_KEY], values.get("body", ""), selected
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _rules_edit_page(request, selected, form, status=400)
    raise _flash_redirect("/moderation/rules" + _neighbourhood_suffix(selected), "saved")


# -- audit log --------------------------------------------------------------------------------


@access(MODERATORS)
async def log_get(request: web.Request) -> web.Response:
    moderation = request.app[MODERATION]
    viewer = request[USER_KEY]
    selected = _int_query(request, "neighbourhood")
    page = await moderation.log(viewer, selected, _int_query(request, "page", 1) or 1)
    return await render_page(
        request,
        "moderation/log.html",
        {
            "entries": page,
            "neighbourhoods": await moderation.neighbourhoods_for(viewer),
            "selected": selected,
            "active": "log",
        },
    )


ROUTES = (
    ("GET", "/moderation/join-requests", join_requests_get),
    ("POST", f"/moderation/join-requests/{ID}", join_request_decide_post),
    ("GET", f"/posts/{ID}/report", post_report_get),
    ("POST", f"/posts/{ID}/report", post_report_post),
    ("GET", f"/comments/{ID}/report", comment_report_get),
    ("POST", f"/comments/{ID}/report", comment_report_post),
    ("GET", "/moderation", queue_get),
    ("POST", f"/moderation/posts/{ID}", moderate_post_post),
    ("POST", f"/moderation/comments/{ID}", moderate_comment_post),
    ("GET", "/moderation/members", members_get),
    ("GET", f"/moderation/members/{ID}", member_get),
    ("POST", f"/moderation/members/{ID}", member_post),
    ("GET", "/rules", rules_get),
    ("GET", "/moderation/rules", rules_edit_get),
    ("POST", "/moderation/rules", rules_edit_post),
    ("GET", "/moderation/log", log_get),
)
