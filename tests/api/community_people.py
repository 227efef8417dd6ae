"""People for the community tests, made cheaply: no password to hash, a session opened directly.

Hashing and checking a password costs ~0.4 s each on this machine; the community tests need
several people per test and test messages, not sign-in, so they skip both.
"""

from __future__ import annotations

from node.models import Role, User
from tests.api.browser import SESSION_COOKIE, Browser, Browsers
from tests.conftest import Node


async def person(node: Node, name: str, neighbourhood: str | None, role: Role = Role.RESIDENT):
    """An account named `name` (e-mail <name>@example.org) without a password."""
    return await node.accounts.create_user(f"{name.lower()}@example.org", name, role, neighbourhood)


async def signed_in(node: Node, browsers: Browsers, user: User) -> Browser:
    """A browser of its own with a session for `user`, as after signing in."""
    token = await node.accounts.start_session(user)
    tab = browsers.open()
    await tab.csrf_token()  # fetched while signed out: /login redirects signed-in people
    tab.session.cookie_jar.update_cookies({SESSION_COOKIE: token}, response_url=tab.url("/"))
    return tab
