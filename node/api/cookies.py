"""Reading the request's cookies: the node's own three (session, CSRF, language).

aiohttp's `request.cookies` builds an `http.cookies.Morsel` for every cookie, which was ~5% of
a cached feed page (bench/feed_load.py). The node's cookies are URL-safe tokens and language
tags, so a plain split reads them. Surrounding double quotes are removed; backslash escapes
inside quotes are not decoded (no cookie this node sets has one). When a name comes twice,
the last one wins, as it did with aiohttp's `request.cookies`. A value ends at the next `;`
only, so `a=x quartier_session=y` is one cookie named `a`, never a session.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from node.api.app_keys import COOKIES_KEY


def request_cookie(request: web.Request, name: str) -> str | None:
    """The value of the cookie `name` the client sent, or None."""
    try:
        cookies = request[COOKIES_KEY]
    except KeyError:  # the first cookie asked for in this request (request.get() costs more)
        cookies = request[COOKIES_KEY] = parse_cookie_header(request.headers.get(hdrs.COOKIE, ""))
    return cookies.get(name)


def parse_cookie_header(header: str) -> dict[str, str]:
    """`Cookie: a=1; b="2"` as {"a": "1", "b": "2"}; parts without a name or `=` are skipped."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies
