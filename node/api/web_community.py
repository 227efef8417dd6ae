"""Resident pages: direct messages, the neighbour directory, helpers and volunteers,
notifications and their settings."""

from __future__ import annotations

from aiohttp import web

from node.api.access import RESIDENTS, access
from node.api.app_keys import DIRECTORY, HELPERS, MESSAGES, NOTIFICATIONS, TRANSLATOR_KEY, USER_KEY
from node.api.params import ID
from node.api.rendering import Form, form_values, render_page
from node.errors import InvalidInput
from node.models.community import DirectorySettings
from node.services.helpers_registry import SKILLS
from node.services.messages import MAX_BODY
from node.services.notification_texts import describe


def _id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])


def _checked(values: dict[str, str], name: str) -> bool:
    return values.get(name) == "1"


# -- messages ---------------------------------------------------------------------------------


@access(RESIDENTS)
async def messages_get(request: web.Request) -> web.Response:
    conversations = await request.app[MESSAGES].conversations(request[USER_KEY])
    return await render_page(request, "community/messages.html", {"conversations": conversations})


async def _thread_page(request: web.Request, form: Form | None = None, status: int = 200):
    thread = await request.app[MESSAGES].thread(request[USER_KEY], _id(request))
    context = {"thread": thread, "max_body": MAX_BODY, "sent": request.query.get("sent") == "1"}
    if form is not None:
        context["form"] = form
    return await render_page(request, "community/thread.html", context, status=status)


@access(RESIDENTS)
async def thread_get(request: web.Request) -> web.Response:
    return await _thread_page(request)


@access(RESIDENTS)
async def thread_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    other_id = _id(request)
    try:
        await request.app[MESSAGES].send(request[USER_KEY], other_id, values.get("body", ""))
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _thread_page(request, form, status=400)
    raise web.HTTPSeeOther(f"/messages/{other_id}?sent=1#latest")


@access(RESIDENTS)
async def message_delete_post(request: web.Request) -> web.Response:
    await request.app[MESSAGES].hide_message(request[USER_KEY], _id(request, "message_id"))
    raise web.HTTPSeeOther(f"/messages/{_id(request)}")


@access(RESIDENTS)
async def conversation_delete_post(request: web.Request) -> web.Response:
    await request.app[MESSAGES].hide_conversation(request[USER_KEY], _id(request))
    raise web.HTTPSeeOther("/messages")


# -- the neighbour directory --------------------------------------------------------------------


@access(RESIDENTS)
async def directory_get(request: web.Request) -> web.Response:
    listings = await request.app[DIRECTORY].listings(request[USER_KEY])
    return await render_page(
        request, "community/directory.html", {"listings": listings, "skills": SKILLS}
    )


def _directory_form(settings: DirectorySettings) -> Form:
    flags = {
        name: "1"
        for name in ("listed", "show_bio", "show_street", "show_skills")
        if getattr(settings, name)
    }
    return Form({"bio": settings.bio, **flags})


@access(RESIDENTS)
async def directory_me_get(request: web.Request) -> web.Response:
    settings, neighbourhood = await request.app[DIRECTORY].settings(request[USER_KEY])
    return await render_page(
        request,
        "community/directory_me.html",
        {
            "form": _directory_form(settings),
            "neighbourhood": neighbourhood,
            "saved": request.query.get("saved") == "1",
        },
    )


@access(RESIDENTS)
async def directory_me_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    directory = request.app[DIRECTORY]
    choice = DirectorySettings(
        listed=_checked(values, "listed"),
        bio=values.get("bio", ""),
        show_bio=_checked(values, "show_bio"),
        show_street=_checked(values, "show_street"),
        show_skills=_checked(values, "show_skills"),
    )
    try:
        await directory.save_settings(request[USER_KEY], choice)
    except InvalidInput as exc:
        _, neighbourhood = await directory.settings(request[USER_KEY])
        return await render_page(
            request,
            "community/directory_me.html",
            {
                "form": Form.from_error(values, exc, request[TRANSLATOR_KEY]),
                "neighbourhood": neighbourhood,
                "saved": False,
            },
            status=400,
        )
    raise web.HTTPSeeOther("/directory/me?saved=1")


# -- helpers and volunteers ---------------------------------------------------------------------


@access(RESIDENTS)
async def helpers_get(request: web.Request) -> web.Response:
    skill = request.query.get("skill", "")
    skill = skill if skill in SKILLS else ""
    helpers = await request.app[HELPERS].helpers(request[USER_KEY], skill or None)
    translator = request[TRANSLATOR_KEY]
    return await render_page(
        request,
        "community/helpers.html",
        {
            "helpers": helpers,
            "skills": SKILLS,
            "skill_options": [(key, translator.gettext(label)) for key, label in SKILLS.items()],
            "skill": skill,
            "form": Form({"skill": skill}),
        },
    )


async def _helpers_me_page(
    request: web.Request,
    form: Form | None = None,
    chosen: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    """The helper form: the saved profile, or what was just typed when it needs correcting."""
    profile = await request.app[HELPERS].profile(request[USER_KEY])
    if form is None:
        form = Form({"note": profile.note, **({"volunteer": "1"} if profile.volunteer else {})})
        chosen = list(profile.skills)
    translator = request[TRANSLATOR_KEY]
    return await render_page(
        request,
        "community/helpers_me.html",
        {
            "form": form,
            "skill_options": [(key, translator.gettext(label)) for key, label in SKILLS.items()],
            "chosen": chosen or [],
            "registered": profile.registered,
            "saved": request.query.get("saved") == "1",
        },
        status=status,
    )


@access(RESIDENTS)
async def helpers_me_get(request: web.Request) -> web.Response:
    return await _helpers_me_page(request)


@access(RESIDENTS)
async def helpers_me_post(request: web.Request) -> web.Response:
    data = await request.post()
    values = await form_values(request)
    skills = [s for s in data.getall("skills", []) if isinstance(s, str)]
    try:
        await request.app[HELPERS].register(
            request[USER_KEY], skills, values.get("note", ""), _checked(values, "volunteer")
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _helpers_me_page(request, form, skills, status=400)
    raise web.HTTPSeeOther("/helpers/me?saved=1")


@access(RESIDENTS)
async def helpers_me_delete_post(request: web.Request) -> web.Response:
    await request.app[HELPERS].withdraw(request[USER_KEY])
    raise web.HTTPSeeOther("/helpers/me?saved=1")


# -- notifications ------------------------------------------------------------------------------


@access(RESIDENTS)
async def notifications_get(request: web.Request) -> web.Response:
    items = await request.app[NOTIFICATIONS].recent(request[USER_KEY])
    translator = request[TRANSLATOR_KEY]
    return await render_page(
        request,
        "community/notifications.html",
        {"items": [(n, describe(n, translator)) for n in items]},
    )


@access(RESIDENTS)
async def notification_settings_get(request: web.Request) -> web.Response:
    mode = await request.app[NOTIFICATIONS].email_mode(request[USER_KEY])
    return await render_page(
        request,
        "community/notification_settings.html",
        {
            "form": Form({"email_mode": mode.value}),
            "saved": request.query.get("saved") == "1",
        },
    )


@access(RESIDENTS)
async def notification_settings_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    try:
        await request.app[NOTIFICATIONS].set_email_mode(
            request[USER_KEY], values.get("email_mode", "")
        )
    except InvalidInput as exc:
        return await render_page(
            request,
            "community/notification_settings.html",
            {
                "form": Form.from_error(values, exc, request[TRANSLATOR_KEY]),
                "saved": False,
            },
            status=400,
        )
    raise web.HTTPSeeOther("/notifications/settings?saved=1")


ROUTES = (
    ("GET", "/messages", messages_get),
    ("GET", f"/messages/{ID}", thread_get),
    ("POST", f"/messages/{ID}", thread_post),
    ("POST", f"/messages/{ID}/delete", conversation_delete_post),
    ("POST", f"/messages/{ID}/{{message_id:[0-9]{{1,18}}}}/delete", message_delete_post),
    ("GET", "/directory", directory_get),
    ("GET", "/directory/me", directory_me_get),
    ("POST", "/directory/me", directory_me_post),
    ("GET", "/helpers", helpers_get),
    ("GET", "/helpers/me", helpers_me_get),
    ("POST", "/helpers/me", helpers_me_post),
    ("POST", "/helpers/me/delete", helpers_me_delete_post),
    ("GET", "/notifications", notifications_get),
    ("GET", "/notifications/settings", notification_settings_get),
    ("POST", "/notifications/settings", notification_settings_post),
)
