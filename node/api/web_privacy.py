"""Resident pages about their own data: who sees what, download it all, delete the account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aiohttp import web

from node.api.access import PUBLIC, RESIDENTS, SIGNED_IN, access
from node.api.app_keys import MODERATION, PRIVACY, TRANSLATOR_KEY, USER_KEY
from node.api.middlewares import SESSION_COOKIE
from node.api.rendering import Form, form_values, render_page
from node.errors import Conflict, InvalidInput, TooManyRequests
from node.models.privacy import ContentChoice


@access(PUBLIC)
async def privacy_get(request: web.Request) -> web.Response:
    return await render_page(request, "privacy/privacy.html", {})


@access(SIGNED_IN)
async def data_get(request: web.Request) -> web.Response:
    return await render_page(request, "privacy/data.html", {})


@access(SIGNED_IN)
async def data_json_get(request: web.Request) -> web.Response:
    document = await request.app[PRIVACY].export(request[USER_KEY])
    day = datetime.fromtimestamp(document["generated_at"], UTC).strftime("%Y-%m-%d")
    return web.Response(
        text=json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="quartier-my-data-{day}.json"',
            "Cache-Control": "no-store",
        },
    )


async def _delete_page(
    request: web.Request, form: Form | None = None, status: int = 200, blocker: str | None = None
) -> web.Response:
    translator = request[TRANSLATOR_KEY]
    if blocker is None:
        blocker = await request.app[PRIVACY].deletion_blocker(request[USER_KEY])
    context = {
        "blocker": translator.gettext(blocker) if blocker else "",
        "choices": [choice.value for choice in ContentChoice],
    }
    if form is not None:
        context["form"] = form
    return await render_page(request, "privacy/delete.html", context, status=status)


@access(SIGNED_IN)
async def delete_get(request: web.Request) -> web.Response:
    return await _delete_page(request)


@access(SIGNED_IN)
async def delete_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    try:
        await request.app[PRIVACY].delete_account(
            request[USER_KEY], values.get("password", ""), values.get("content", "")
        )
    except InvalidInput as exc:
        return await _delete_page(request, Form.from_error(values, exc, translator), status=400)
    except TooManyRequests as exc:
        form = Form(
            {"content": values.get("content", "")},
            {"password": translator.gettext(exc.message, **exc.params)},
        )
        response = await _delete_page(request, form, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except Conflict as exc:
        return await _delete_page(request, status=409, blocker=exc.message)
    response = web.HTTPSeeOther("/account/deleted")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@access(PUBLIC)
async def deleted_get(request: web.Request) -> web.Response:
    return await render_page(request, "privacy/deleted.html", {})


@access(RESIDENTS)
async def warnings_get(request: web.Request) -> web.Response:
    notices = await request.app[MODERATION].notices_for(request[USER_KEY])
    return await render_page(request, "privacy/warnings.html", {"notices": notices})


ROUTES = (
    ("GET", "/privacy", privacy_get),
    ("GET", "/account/data", data_get),
    ("GET", "/account/data.json", data_json_get),
    ("GET", "/account/delete", delete_get),
    ("POST", "/account/delete", delete_post),
    ("GET", "/account/deleted", deleted_get),
    ("GET", "/account/warnings", warnings_get),
)
