"""Pages for getting in: sign-in, sign-up with a code, asking to join, setup, reset, language."""

from __future__ import annotations

from aiohttp import web

from node.api.access import PUBLIC, SIGNED_IN, access
from node.api.app_keys import ACCOUNTS, CONFIG, REGISTER, TRANSLATOR_KEY, USER_KEY
from node.api.cookies import request_cookie
from node.api.middlewares import LANGUAGE_COOKIE, SESSION_COOKIE, client_address
from node.api.params import int_or_none
from node.api.rendering import Form, form_values, render_page
from node.config import SUPPORTED_LOCALES
from node.errors import InvalidInput, NotFound, TooManyRequests
from node.models import Role, User
from node.services.accounts import DAY, NewAccount
from node.services.invitation_codes import format_code, normalise_code


def _home_of(user: User) -> str:
    if user.role is Role.ADMIN:
        return "/admin"
    if user.role is Role.CITY_STAFF:
        return "/city"
    return "/neighbourhood"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never let `next` send someone to another site.

    Browsers and aiohttp drop tabs and newlines from a Location and treat a backslash as a
    slash, so "/\t/evil.example" would become "//evil.example": refuse all of those."""
    if not target or not target.startswith("/") or len(target) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    if target.startswith("//"):
        return None
    return target


async def _sign_in(request: web.Request, user: User, target: str) -> web.Response:
    """Open a session and redirect; raises the redirect, as aiohttp wants."""
    token = await request.app[ACCOUNTS].start_session(user)
    response = web.HTTPSeeOther(target)
    config = request.app[CONFIG]
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=config.security.session_days * DAY,
        httponly=True,
        samesite="Lax",
        secure=config.secure_cookies,
        path="/",
    )
    raise response


@access(PUBLIC)
async def home_get(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    if user is not None:
        raise web.HTTPSeeOther(_home_of(user))
    return await render_page(request, "home.html", {})


@access(PUBLIC)
async def login_get(request: web.Request) -> web.Response:
    if request[USER_KEY] is not None:
        raise web.HTTPSeeOther(_home_of(request[USER_KEY]))
    return await render_page(
        request, "account/login.html", {"next": _safe_next(request.query.get("next")) or ""}
    )


@access(PUBLIC)
async def login_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    target = _safe_next(values.get("next"))
    try:
        user = await request.app[ACCOUNTS].authenticate(
            values.get("email", ""), values.get("password", ""), client_address(request)
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, translator)
        return await render_page(
            request, "account/login.html", {"form": form, "next": target or ""}, status=400
        )
    except TooManyRequests as exc:
        form = Form(
            {"email": values.get("email", "")},
            {"email": translator.gettext(exc.message, **exc.params)},
        )
        response = await render_page(
            request, "account/login.html", {"form": form, "next": target or ""}, status=429
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return await _sign_in(request, user, target or _home_of(user))


@access(PUBLIC)
async def logout_post(request: web.Request) -> web.Response:
    token = request_cookie(request, SESSION_COOKIE)
    if token:
        await request.app[ACCOUNTS].end_session(token)
    response = web.HTTPSeeOther("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@access(PUBLIC)
async def signup_get(request: web.Request) -> web.Response:
    code = normalise_code(request.query.get("code", ""))
    form = Form({"code": format_code(code)} if code else {})
    return await render_page(request, "account/signup.html", {"form": form})


@access(PUBLIC)
async def signup_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    account = NewAccount(
        email=values.get("email", ""),
        display_name=values.get("display_name", ""),
        password=values.get("password", ""),
        locale=translator.locale,
    )
    try:
        user = await request.app[ACCOUNTS].sign_up_with_code(
            values.get("code", ""),
            account,
            client_address(request),
            values.get("password_confirmation", ""),
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, translator)
        return await render_page(request, "account/signup.html", {"form": form}, status=400)
    except TooManyRequests as exc:
        form = Form(
            {k: v for k, v in values.items() if "password" not in k},
            {"code": translator.gettext(exc.message, **exc.params)},
        )
        response = await render_page(request, "account/signup.html", {"form": form}, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return await _sign_in(request, user, "/neighbourhood?welcome=1")


@access(PUBLIC)
async def join_get(request: web.Request) -> web.Response:
    neighbourhoods = await request.app[REGISTER].list_neighbourhoods()
    return await render_page(request, "account/join.html", {"neighbourhoods": neighbourhoods})


@access(PUBLIC)
async def join_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    neighbourhood = values.get("neighbourhood", "")
    try:
        await request.app[ACCOUNTS].request_to_join(
            int_or_none(neighbourhood),
            values.get("address", ""),
            values.get("message", ""),
            NewAccount(
                values.get("email", ""),
                values.get("display_name", ""),
                values.get("password", ""),
                translator.locale,
            ),
            values.get("password_confirmation", ""),
        )
    except InvalidInput as exc:
        neighbourhoods = await request.app[REGISTER].list_neighbourhoods()
        return await render_page(
            request,
            "account/join.html",
            {"form": Form.from_error(values, exc, translator), "neighbourhoods": neighbourhoods},
            status=400,
        )
    return await render_page(request, "account/join_sent.html", {})


@access(PUBLIC)
async def setup_get(request: web.Request) -> web.Response:
    if not await request.app[ACCOUNTS].setup_link_is_usable(request.match_info["token"]):
        raise NotFound(
            "This setup link has expired or has already been used. Run 'quartier serve' again "
            "to print a new one, or ask whoever installed the node."
        )
    return await render_page(request, "account/setup.html", {})


@access(PUBLIC)
async def setup_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    try:
        user = await request.app[ACCOUNTS].complete_setup(
            request.match_info["token"],
            NewAccount(
                values.get("email", ""),
                values.get("display_name", ""),
                values.get("password", ""),
                translator.locale,
            ),
            values.get("password_confirmation", ""),
        )
    except InvalidInput as exc:
        return await render_page(
            request,
            "account/setup.html",
            {"form": Form.from_error(values, exc, translator)},
            status=400,
        )
    return await _sign_in(request, user, "/admin")


@access(PUBLIC)
async def reset_get(request: web.Request) -> web.Response:
    if not await request.app[ACCOUNTS].reset_link_is_usable(request.match_info["token"]):
        raise NotFound(
            "This link has expired or has already been used. Ask your administrator for a new one."
        )
    return await render_page(request, "account/reset.html", {})


@access(PUBLIC)
async def reset_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    translator = request[TRANSLATOR_KEY]
    try:
        user = await request.app[ACCOUNTS].reset_password(
            request.match_info["token"],
            values.get("password", ""),
            values.get("password_confirmation", ""),
        )
    except InvalidInput as exc:
        return await render_page(
            request,
            "account/reset.html",
            {"form": Form.from_error(values, exc, translator)},
            status=400,
        )
    return await _sign_in(request, user, _home_of(user))


@access(PUBLIC)
async def language_post(request: web.Request) -> web.Response:
    values = await form_values(request)
    locale = values.get("locale", "")
    target = _safe_next(values.get("next")) or "/"
    response = web.HTTPSeeOther(target)
    if locale in SUPPORTED_LOCALES:
        user = request[USER_KEY]
        if user is not None:
            await request.app[ACCOUNTS].set_locale(user, locale)
        response.set_cookie(
            LANGUAGE_COOKIE,
            locale,
            max_age=365 * DAY,
            samesite="Lax",
            path="/",
            secure=request.app[CONFIG].secure_cookies,
        )
    raise response


@access(SIGNED_IN)
async def account_get(request: web.Request) -> web.Response:
    return await render_page(request, "account/account.html", {})
