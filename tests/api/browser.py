"""A browser for tests that need several people at once: its own cookies, English pages.

The `node` fixture's client is one browser; access and moderation tests need one per person,
each with its own session and CSRF cookie, talking to the same running node over real HTTP.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher

from node.services import passwords
from tests.conftest import PASSWORD, Node

CSRF_COOKIE = "quartier_csrf"
SESSION_COOKIE = "quartier_session"
ERROR_FOR = re.compile(r'<p id="field-([\w.-]+)-error" class="error-message">(.*?)</p>', re.S)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Argon2id with its cheapest parameters: the same code paths at a fraction of the CPU, so
    tests that sign many people in stay fast. (Import this fixture into a test module.)"""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def field_errors(html: str) -> dict[str, str]:
    """The message printed beside each field of a failed form, by field name."""
    return {
        name: re.sub(r"<[^>]+>", "", text).replace("Error:", "").strip()
        for name, text in ERROR_FOR.findall(html)
    }


def input_value(html: str, name: str) -> str | None:
    """The value a form shows in the input named `name` (None when it has no value attribute)."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert match, f"the page has no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else None


class Browser:
    """One person's browser: a cookie jar of its own, asking for English pages."""

    def __init__(self, node: Node, headers: dict[str, str] | None = None) -> None:
        self.node = node
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Accept-Language": "en", **(headers or {})},
        )

    def url(self, path: str):
        return self.node.client.make_url(path)

    def cookie(self, name: str) -> str | None:
        morsel = self.session.cookie_jar.filter_cookies(self.url("/")).get(name)
        return morsel.value if morsel else None

    async def request(self, method: str, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        kwargs.setdefault("allow_redirects", False)
        response = await self.session.request(method, self.url(path), **kwargs)
        await response.read()
        return response

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("GET", path, **kwargs)

    async def csrf_token(self) -> str:
        """The browser's CSRF token, fetching a page first if it has none yet."""
        if self.cookie(CSRF_COOKIE) is None:
            await self.get("/login")
        token = self.cookie(CSRF_COOKIE)
        assert token, "the node set no CSRF cookie"
        return token

    async def post_form(
        self, path: str, data: dict | None = None, method: str = "POST", **kwargs: Any
    ):
        """Post a form the way a browser does: with the CSRF token the page carries."""
        form = aiohttp.FormData({**(data or {}), "csrf_token": await self.csrf_token()})
        return await self.request(method, path, data=form, **kwargs)

    async def login(self, email: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        response = await self.post_form("/login", {"email": email, "password": password})
        assert response.status == 303, await response.text()
        return response

    async def close(self) -> None:
        await self.session.close()


class Browsers:
    """Opens browsers for a test and closes them all afterwards."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._opened: list[Browser] = []

    def open(self, headers: dict[str, str] | None = None) -> Browser:
        browser = Browser(self.node, headers)
        self._opened.append(browser)
        return browser

    async def close(self) -> None:
        for browser in self._opened:
            await browser.close()
