"""Middlewares, outermost first: errors, metrics, language, identity, access, CSRF."""

from __future__ import annotations

import functools
import gettext
import hmac
import logging
import secrets
import time
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import hdrs, web

from node.api.access import rule_of
from node.api.app_keys import (
    ACCOUNTS,
    CATALOGS,
    CONFIG,
    CSRF_KEY,
    METRICS,
    TRANSLATOR_KEY,
    USER_KEY,
)
from node.api.cookies import request_cookie
from node.api.problems import problem_response, wants_problem_json
from node.errors import N_, Forbidden, PayloadTooLarge, QuartierError, Unauthorized
from node.i18n import Translator, choose_locale

log = logging.getLogger(__name__)

SESSION_COOKIE = "quartier_session"
CSRF_COOKIE = "quartier_csrf"
LANGUAGE_COOKIE = "quartier_lang"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_address(request: web.Request) -> str:
    """The client's address, from X-Forwarded-For only when the operator trusts the proxy."""
    if request.app[CONFIG].server.trust_forwarded_headers:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.remote or "unknown"


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Turn our errors into problem+json (API) or a friendly page; never leak a traceback."""
    try:
        return await handler(request)
    except QuartierError as exc:
        return await _error_response(request, exc)
    except web.HTTPRequestEntityTooLarge:
        return await _error_response(
            request, PayloadTooLarge(N_("The upload is larger than this node accepts."))
        )
    except web.HTTPException as exc:
        if exc.status >= 400 and wants_problem_json(request):
            return problem_response(exc.status, exc.reason.lower().replace(" ", "-"), exc.reason)
        if exc.status in (404, 405) and not wants_problem_json(request):
            message = N_("This page does not exist.") if exc.status == 404 else exc.reason
            return await _error_page(request, exc.status, message)
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_problem_json(request):
            return problem_response(500, "internal-error", "Something went wrong on our side.")
        return await _error_page(request, 500, N_("Something went wrong on our side."))


async def _error_response(request: web.Request, exc: QuartierError) -> web.StreamResponse:
    if wants_problem_json(request):
        return problem_response(exc.status, exc.code, str(exc), exc)
    if isinstance(exc, Unauthorized) and request.method == "GET":
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
    return await _error_page(request, exc.status, exc.message, **exc.params)


async def _error_page(request: web.Request, status: int, message: str, **params) -> web.Response:
    from node.api.rendering import render_page

    translator: Translator | None = request.get(TRANSLATOR_KEY)
    text = translator.gettext(message, **params) if translator else message % params
    response = await render_page(request, "error.html", {"status": status, "message": text})
    response.set_status(status)
    return response


@web.middleware
async def metrics_middleware(request: web.Request, handler):
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        request.app[METRICS].count_request(
            name, request.method, status, time.perf_counter() - started
        )


@functools.lru_cache(maxsize=1024)  # bounded: Accept-Language is whatever a client sends
def _locale_for(
    user_locale: str | None, cookie: str | None, accept_language: str, default: str
) -> str:
    """choose_locale, remembered: it is pure, and Babel's negotiation cost more than the rest
    of a cached feed page's handler."""
    return choose_locale(user_locale, cookie, accept_language, default)


@functools.lru_cache(maxsize=64)
def _translator(locale: str, translations: gettext.NullTranslations, timezone: str) -> Translator:
    """One Translator per language and node (`translations` are the node's own catalog), as
    it is immutable: making one per request showed in the profile of a cached page."""
    return Translator(locale, translations, ZoneInfo(timezone))


@web.middleware
async def identity_middleware(request: web.Request, handler):
    """Who is asking: a Bearer token on the API, the session cookie on pages. Sets language."""
    accounts = request.app[ACCOUNTS]
    user = None
    authorization = request.headers.get("Authorization", "")
    if request.path.startswith("/api/"):
        # The API knows only tokens: a browser's cookie never authorises an API call,
        # which keeps cross-site requests off the API without CSRF tokens.
        if authorization.startswith("Bearer "):
            user = await accounts.user_for_api_token(authorization[7:].strip())
            if user is None:
                raise Unauthorized(N_("The API token is unknown, revoked or its owner inactive."))
    else:
        token = request_cookie(request, SESSION_COOKIE)
        if token:
            user = await accounts.user_for_session(token)
    request[USER_KEY] = user
    config = request.app[CONFIG]
    locale = _locale_for(
        user.locale if user else None,
        request_cookie(request, LANGUAGE_COOKIE),
        request.headers.get("Accept-Language", ""),
        config.node.default_locale,
    )
    request[TRANSLATOR_KEY] = _translator(
        locale, request.app[CATALOGS][locale], config.node.timezone
    )
    return await handler(request)


@web.middleware
async def access_middleware(request: web.Request, handler):
    """Apply the route's declared rule before the handler runs. No rule, no entry."""
    route_handler = request.match_info.handler
    rule = rule_of(route_handler)
    if rule is None:
        if request.match_info.http_exception is not None:
            return await handler(request)  # 404/405: let aiohttp answer
        if getattr(route_handler, "__module__", "").startswith("aiohttp"):
            return await handler(request)  # static files
        log.error("route %s declares no access rule; refusing", request.path)
        raise Forbidden(N_("You do not have access to this page."))
    user = request[USER_KEY]
    if rule.roles is None:
        return await handler(request)
    if user is None:
        raise Unauthorized(N_("Sign in to see this page."))
    if not rule.allows(user.role):
        raise Forbidden(N_("You do not have access to this page."))
    return await handler(request)


@web.middleware
async def csrf_middleware(request: web.Request, handler):
    """Every form post carries the browser's CSRF token; cross-origin posts are refused."""
    exempt = request.path.startswith("/api/") or getattr(
        request.match_info.handler, "csrf_exempt", False
    )
    if exempt:  # the JSON API and the inboxes: no form, no browser token to give or check
        return await handler(request)
    token = request_cookie(request, CSRF_COOKIE) or ""
    new_token = None
    if len(token) < 32:
        token = new_token = secrets.token_urlsafe(32)
    request[CSRF_KEY] = token
    if request.method in UNSAFE_METHODS:
        origin = request.headers.get("Origin")
        base = urlsplit(request.app[CONFIG].base_url)
        if origin and origin != "null":
            parts = urlsplit(origin)
            if (parts.scheme, parts.netloc) not in (
                (base.scheme, base.netloc),
                (request.scheme, request.host),
            ):
                raise Forbidden(N_("This form was sent from another site and was refused."))
        form = await request.post()
        sent = str(form.get(CSRF_FIELD, ""))
        if new_token is not None or not hmac.compare_digest(sent, token):
            raise Forbidden(
                N_("This form has expired. Go back, reload the page and send it again.")
            )
    response = await handler(request)
    if new_token is not None and isinstance(response, web.StreamResponse) and not response.prepared:
        # The header set_cookie() would write, written directly: building and printing a
        # Morsel was ~6% of a cached feed page. The token is URL-safe base64 (no quoting).
        secure = "; Secure" if request.app[CONFIG].secure_cookies else ""
        response.headers.add(
            hdrs.SET_COOKIE,
            f"{CSRF_COOKIE}={new_token}; HttpOnly; Path=/; SameSite=Strict{secure}",
        )
    return response


@web.middleware
async def security_headers_middleware(request: web.Request, handler):
    response = await handler(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    # The header itself, not response.content_type, which parses it on every response.
    if headers.get(hdrs.CONTENT_TYPE, "").startswith("text/html"):
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " frame-ancestors 'none'; form-action 'self'",
        )
        headers.setdefault("X-Frame-Options", "DENY")
    return response
