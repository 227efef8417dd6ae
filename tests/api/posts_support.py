"""Set-up shared by the posts tests: neighbourhoods, residents, posts, photos, multipart forms."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import dataclass

import aiohttp
from PIL import Image

from node.api.app_keys import POSTS
from node.models import Role, User
from node.services.post_drafts import PostDraft
from tests.api.browser import SESSION_COOKIE, Browser, Browsers
from tests.conftest import Node


@dataclass
class Place:
    """Neighbourhoods Centre and Nord (adjacent), Sud (not adjacent), and their residents."""

    centre_id: int
    nord_id: int
    sud_id: int
    alice: User  # Centre
    bob: User  # Centre
    nora: User  # Nord
    sam: User  # Sud


async def resident(node: Node, name: str, neighbourhood: str, role: Role = Role.RESIDENT) -> User:
    """An account without a password (no argon2 cost): tests sign it in by session."""
    return await node.accounts.create_user(f"{name.lower()}@example.org", name, role, neighbourhood)


async def neighbourhoods(node: Node, *, adjacent: bool = True) -> Place:
    register = node.register
    centre = await register.create_neighbourhood("Centre")
    north = await register.create_neighbourhood("Nord")
    south = await register.create_neighbourhood("Sud")
    place = Place(
        centre.id,
        north.id,
        south.id,
        alice=await resident(node, "Alice", "centre"),
        bob=await resident(node, "Bob", "centre"),
        nora=await resident(node, "Nora", "nord"),
        sam=await resident(node, "Sam", "sud"),
    )
    if adjacent:
        admin = await resident(node, "Admin", None, Role.ADMIN)
        await posts_of(node).set_adjacent(admin, centre.id, [north.id])
    return place


def posts_of(node: Node):
    return node.client.app[POSTS]


async def write_post(node: Node, author: User, title: str, **fields) -> int:
    """A post written through the service (set-up; the HTTP path has its own tests)."""
    fields.setdefault("category", "general")
    return await posts_of(node).create_post(author, PostDraft(title=title, **fields))


async def signed_in(browsers: Browsers, user: User) -> Browser:
    """A browser with a session for `user`, opened by the service (no password to check)."""
    browser = browsers.open()
    token = await browser.node.accounts.start_session(user)
    browser.session.cookie_jar.update_cookies(
        {SESSION_COOKIE: token}, response_url=browser.url("/")
    )
    await browser.get("/account")  # any page open to all roles: it sets the CSRF cookie
    return browser


async def post_multipart(
    browser: Browser, path: str, fields: dict[str, str], files: list[tuple[str, bytes, str]]
) -> aiohttp.ClientResponse:
    """Send a form with files, as a browser does for enctype=multipart/form-data."""
    form = aiohttp.FormData()
    for name, value in {**fields, "csrf_token": await browser.csrf_token()}.items():
        form.add_field(name, value)
    for filename, data, content_type in files:
        form.add_field("photos", data, filename=filename, content_type=content_type)
    return await browser.request("POST", path, data=form)


def jpeg(
    size: tuple[int, int] = (64, 48), colour: str = "teal", exif: bytes | None = None
) -> bytes:
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, colour).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def database(node: Node) -> sqlite3.Connection:
    """A plain connection for looking at what was stored (never for set-up writes)."""
    return sqlite3.connect(node.config.database_path)
