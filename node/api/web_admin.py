"""Admin pages: neighbourhoods, the address register, invitations and letters, accounts, tokens."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from node.api.access import ADMIN, SIGNED_IN, access
from node.api.app_keys import ACCOUNTS, CONFIG, REGISTER, TRANSLATOR_KEY, USER_KEY
from node.api.params import int_or_none, positive_int
from node.api.rendering import Form, form_values, render_page
from node.errors import N_, Conflict, InvalidInput, NotFound
from node.models import Role
from node.services.invitation_codes import format_code
from node.services.register import InvalidRegister


def _flash_redirect(path: str, notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}?notice={notice}")


@access(ADMIN)
async def admin_index_get(request: web.Request) -> web.Response:
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    return await render_page(request, "admin/index.html", {"summaries": summaries})


@access(ADMIN)
async def neighbourhoods_get(request: web.Request) -> web.Response:
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    return await render_page(request, "admin/neighbourhoods.html", {"summaries": summaries})


@access(ADMIN)
async def neighbourhoods_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    try:
        await request.app[REGISTER].create_neighbourhood(values.get("name", ""))
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, Conflict):
            exc = InvalidInput({"name": (exc.message, exc.params)})
        summaries = await request.app[REGISTER].neighbourhood_summaries()
        return await render_page(
            request,
            "admin/neighbourhoods.html",
            {"summaries": summaries, "form": Form.from_error(values, exc, translator)},
            status=400,
        )
    raise _flash_redirect("/admin/neighbourhoods", "created")


def _addresses_context(**values) -> dict:
    return {"problems": [], "result": None, "filename": "", "more_problems": 0, **values}


@access(ADMIN)
async def addresses_get(request: web.Request) -> web.Response:
    return await render_page(request, "admin/addresses.html", _addresses_context())


@access(ADMIN)
async def addresses_post(request: web.Request) -> web.Response:
    data = await request.post()
    upload = data.get("register")
    translator = request[TRANSLATOR_KEY]
    # No file chosen: browsers send an empty part, which is not a FileField.
    if not isinstance(upload, FileField) or not upload.filename:
        form = Form({}, {"register": translator.gettext(N_("Choose a CSV file to import."))})
        return await render_page(
            request, "admin/addresses.html", _addresses_context(form=form), status=400
        )
    content = upload.file.read()
    try:
        result = await request.app[REGISTER].import_register(content)
    except InvalidRegister as exc:
        problems = [(p.line, translator.gettext(p.message, **p.params)) for p in exc.problems[:50]]
        form = Form({}, {"register": translator.gettext(exc.message, **exc.params)})
        return await render_page(
            request,
            "admin/addresses.html",
            _addresses_context(
                form=form,
                problems=problems,
                more_problems=len(exc.problems) - 50,
                filename=upload.filename,
            ),
            status=400,
        )
    return await render_page(request, "admin/addresses.html", _addresses_context(result=result))


@access(ADMIN)
async def households_get(request: web.Request) -> web.Response:
    register = request.app[REGISTER]
    neighbourhoods = await register.list_neighbourhoods()
    selected = request.query.get("neighbourhood", "")
    neighbourhood_id = int_or_none(selected)
    search = request.query.get("q", "").strip()[:100]
    page = positive_int(request.query.get("page"), 1)
    items, total = await register.household_page(neighbourhood_id, search, page)
    return await render_page(
        request,
        "admin/households.html",
        {
            "neighbourhoods": neighbourhoods,
            "selected": neighbourhood_id,
            "search": search,
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, (total + 49) // 50),
            "format_code": format_code,
            "notice": request.query.get("notice", ""),
        },
    )


@access(ADMIN)
async def household_revoke_post(request: web.Request) -> web.Response:
    await request.app[REGISTER].revoke_code(int(request.match_info["id"]))
    raise _flash_redirect(_back_to(request), "revoked")


@access(ADMIN)
async def household_reissue_post(request: web.Request) -> web.Response:
    await request.app[REGISTER].reissue_code(int(request.match_info["id"]))
    raise _flash_redirect(_back_to(request), "reissued")


def _back_to(request: web.Request) -> str:
    return "/admin/households"


@access(ADMIN)
async def letters_get(request: web.Request) -> web.Response:
    selected = request.query.get("neighbourhood", "")
    household = request.query.get("household", "")
    pdf = await request.app[REGISTER].letters_pdf(
        int_or_none(selected),
        [household_id] if (household_id := int_or_none(household)) is not None else None,
    )
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="invitation-letters.pdf"'},
    )


@access(ADMIN)
async def users_get(request: web.Request) -> web.Response:
    return await _users_page(request, Form(), None)


async def _users_page(request, form, reset_link, status=200) -> web.Response:
    users = await request.app[ACCOUNTS].staff_users()
    neighbourhoods = await request.app[REGISTER].list_neighbourhoods()
    return await render_page(
        request,
        "admin/users.html",
        {
            "users": users,
            "neighbourhoods": neighbourhoods,
            "roles": [Role.ADMIN, Role.CITY_STAFF, Role.MODERATOR, Role.RESIDENT],
            "form": form,
            "reset_link": reset_link,
        },
        status=status,
    )


@access(ADMIN)
async def users_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    accounts = request.app[ACCOUNTS]
    role_value = values.get("role", "")
    if role_value not in {r.value for r in Role}:
        exc = InvalidInput({"role": N_("Choose a role.")})
        return await _users_page(request, Form.from_error(values, exc, translator), None, 400)
    try:
        user = await accounts.create_user(
            values.get("email", ""),
            values.get("display_name", ""),
            Role(role_value),
            values.get("neighbourhood") or None,
        )
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, Conflict):
            exc = InvalidInput({"email": (exc.message, exc.params)})
        return await _users_page(request, Form.from_error(values, exc, translator), None, 400)
    token = await accounts.create_reset_link(user.id)
    link = f"{request.app[CONFIG].base_url}/reset/{token}"
    return await _users_page(request, Form(), (user, link))


@access(ADMIN)
async def user_reset_link_post(request: web.Request) -> web.Response:
    accounts = request.app[ACCOUNTS]
    user_id = int(request.match_info["id"])
    users = {u.id: u for u in await accounts.staff_users()}
    user = users.get(user_id)
    if user is None:
        raise NotFound(N_("There is no such account."))
    # Only now: making a link cancels the account's earlier ones.
    token = await accounts.create_reset_link(user_id)
    return await _users_page(
        request, Form(), (user, f"{request.app[CONFIG].base_url}/reset/{token}")
    )


@access(SIGNED_IN)
async def tokens_get(request: web.Request) -> web.Response:
    tokens = await request.app[ACCOUNTS].api_tokens(request[USER_KEY])
    return await render_page(request, "account/tokens.html", {"tokens": tokens, "secret": None})


@access(SIGNED_IN)
async def tokens_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    accounts = request.app[ACCOUNTS]
    user = request[USER_KEY]
    try:
        _, secret = await accounts.create_api_token(user, values.get("name", ""))
    except InvalidInput as exc:
        tokens = await accounts.api_tokens(user)
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await render_page(
            request, "account/tokens.html", {"tokens": tokens, "secret": None, "form": form}, 400
        )
    tokens = await accounts.api_tokens(user)
    return await render_page(request, "account/tokens.html", {"tokens": tokens, "secret": secret})


@access(SIGNED_IN)
async def token_revoke_post(request: web.Request) -> web.Response:
    await request.app[ACCOUNTS].revoke_api_token(request[USER_KEY], int(request.match_info["id"]))
    raise web.HTTPSeeOther("/account/tokens")
