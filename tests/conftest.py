"""Fixtures shared by the whole suite: real nodes on real SQLite files, driven over real HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.api.app_keys import ACCOUNTS, REGISTER
from node.app import create_app
from node.bootstrap import init_node
from node.config import Config
from node.models import Role, User

# A real local SMTP server (aiosmtpd) for every test that checks e-mail.
pytest_plugins = ["tests.smtp_server"]

PASSWORD = "correct horse battery"
ENGLISH = {"Accept-Language": "en"}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


@dataclass
class Node:
    """A running node and the handles a test needs to set it up and talk to it."""

    config: Config
    client: TestClient

    @property
    def accounts(self):
        return self.client.app[ACCOUNTS]

    @property
    def register(self):
        return self.client.app[REGISTER]

    async def user(
        self,
        role: Role,
        email: str | None = None,
        neighbourhood: str | None = None,
        password: str = PASSWORD,
    ) -> User:
        email = email or f"{role.value}-{neighbourhood or 'node'}@example.org"
        return await self.accounts.create_user(
            email,
            f"{role.value.title()} {neighbourhood or ''}".strip(),
            role,
            neighbourhood,
            password,
        )

    async def csrf(self, path: str = "/login") -> str:
        response = await self.client.get(path)
        return csrf_from(await response.text())

    async def login(self, email: str, password: str = PASSWORD) -> None:
        token = await self.csrf("/login")
        response = await self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status == 303, await response.text()

    async def post_form(self, path: str, data: dict, **kwargs):
        """Post a form the way a browser does: with the page's CSRF token."""
        token = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/")).get(
            "quartier_csrf"
        )
        if token is None:
            await self.csrf("/login")
            token = self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))[
                "quartier_csrf"
            ]
        return await self.client.post(
            path, data={**data, "csrf_token": token.value}, allow_redirects=False, **kwargs
        )

    async def api_token(self, user: User) -> dict[str, str]:
        _, secret = await self.accounts.create_api_token(user, "tests")
        return {"Authorization": f"Bearer {secret}"}


def make_config(data_dir: Path, base_url: str = "http://127.0.0.1:8080") -> Config:
    return init_node(data_dir, base_url, "Testville")


@pytest.fixture
def node_config(tmp_path: Path) -> Config:
    return make_config(tmp_path / "node")


@pytest.fixture
async def node(aiohttp_client, node_config: Config) -> Node:
    # Tests read English; the node's default language (French) is tested on its own.
    client = await aiohttp_client(create_app(node_config), headers=ENGLISH)
    return Node(node_config, client)


@pytest.fixture
async def browsers(node: Node):
    """HTTP browsers (tests/api/browser.py) on `node`, each with its own cookies, closed
    after the test."""
    from tests.api.browser import Browsers  # imported here: browser.py imports this module

    pool = Browsers(node)
    yield pool
    await pool.close()


REGISTER_HEADER = "street,number,box,postcode,municipality,neighbourhood\n"


def register_csv(rows: list[tuple[str, ...]]) -> bytes:
    return (REGISTER_HEADER + "".join(",".join(row) + "\n" for row in rows)).encode()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: they are the slowest, and a failure elsewhere shows sooner."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
