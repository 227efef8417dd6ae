"""Signing in and out: the session cookie, errors beside the field, the failure limit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from node.api.app_keys import DATABASE
from node.app import create_app
from node.models import Role, UserStatus
from node.rate_limits import SlidingWindowLimiter
from node.services.accounts import NewAccount
from node.storage import users as users_store
from tests.api.browser import (
    SESSION_COOKIE,
    Browsers,
    field_errors,
    input_value,
    quick_password_hashing,  # noqa: F401 (autouse)
)
from tests.conftest import PASSWORD, Node, make_config

WRONG = "The e-mail address or the password is not right."


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def proxied_node(aiohttp_client, tmp_path) -> Node:
    """A node behind a reverse proxy it trusts, so each client is told apart by X-Forwarded-For."""
    config = make_config(tmp_path / "proxied")
    config = replace(config, server=replace(config.server, trust_forwarded_headers=True))
    return Node(config, await aiohttp_client(create_app(config)))


def _freeze_login_limiter(node: Node) -> FakeClock:
    clock = FakeClock()
    settings = node.config.security
    node.accounts.login_limiter = SlidingWindowLimiter(
        settings.login_max_failures, settings.login_window_minutes * 60, clock=clock
    )
    return clock


async def test_signing_in_sets_an_httponly_samesite_lax_cookie(node, browsers):
    # Given a city staff account
    await node.user(Role.CITY_STAFF, "staff@example.org")
    browser = browsers.open()

    # When they sign in with the right password
    response = await browser.login("staff@example.org")

    # Then they land on the city dashboard with a session cookie scripts cannot read,
    # which other sites' forms do not carry along
    assert response.headers["Location"] == "/city"
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # the node is served over plain http here
    assert (await browser.get("/city")).status == 200


async def test_on_https_the_session_cookie_is_secure(aiohttp_client, tmp_path):
    # Given a node whose public address is https
    config = make_config(tmp_path / "tls", "https://quartier.example.org")
    node = Node(config, await aiohttp_client(create_app(config)))
    await node.user(Role.CITY_STAFF, "staff@example.org")
    token = await node.csrf("/login")

    # When someone signs in (behind a TLS proxy; the test talks plain http, so the browser's
    # secure CSRF cookie is sent by hand)
    response = await node.client.post(
        "/login",
        data={"email": "staff@example.org", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"quartier_csrf={token}"},
        allow_redirects=False,
    )

    # Then the cookie is only ever sent over https
    assert response.status == 303
    assert response.cookies[SESSION_COOKIE]["secure"] is True


async def test_signing_in_returns_to_the_page_asked_for_but_never_to_another_site(node, browsers):
    # Given an admin
    await node.user(Role.ADMIN, "admin@example.org")
    here, elsewhere = browsers.open(), browsers.open()

    # When they sign in from a link to a page of the node, or from a link to another site
    back = await here.post_form(
        "/login", {"email": "admin@example.org", "password": PASSWORD, "next": "/account/tokens"}
    )
    away = await elsewhere.post_form(
        "/login", {"email": "admin@example.org", "password": PASSWORD, "next": "//evil.example/"}
    )

    # Then the first returns to that page, the second to their home page
    assert back.headers["Location"] == "/account/tokens"
    assert away.headers["Location"] == "/admin"


async def test_a_sign_in_link_cannot_send_anyone_to_another_site(node, browsers):
    # Given phishing links to the node's sign-in page, whose `next` leads elsewhere
    await node.user(Role.ADMIN, "admin@example.org")
    landed = {}
    for next_page in [
        "https://evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",  # browsers drop the tab, reading //evil.example/
        "/\r\n/evil.example/",
    ]:
        browser = browsers.open()
        page = await browser.get("/login", params={"next": next_page})
        carried = input_value(await page.text(), "next")

        # When someone signs in through one
        response = await browser.post_form(
            "/login", {"email": "admin@example.org", "password": PASSWORD, "next": carried or ""}
        )
        assert response.status == 303
        landed[next_page] = response.headers["Location"]

    # Then every one of them stays on the node: a path, never //host or another scheme
    assert {
        next_page: location
        for next_page, location in landed.items()
        if not location.startswith("/") or location.startswith("//")
    } == {}


async def test_a_wrong_password_is_shown_beside_the_field_and_keeps_the_email(node, browsers):
    # Given an account
    await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()

    # When someone types a wrong password
    response = await browser.post_form(
        "/login", {"email": "admin@example.org", "password": "not my password"}
    )

    # Then the form comes back with the message beside the field, the e-mail still typed,
    # the password not echoed, and no session
    html = await response.text()
    assert response.status == 400
    assert field_errors(html) == {"email": WRONG}
    assert '<a href="#field-email">' in html  # the error summary links to the field
    assert input_value(html, "email") == "admin@example.org"
    assert input_value(html, "password") is None
    assert "not my password" not in html
    assert browser.cookie(SESSION_COOKIE) is None


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(node, browsers):
    # Given no account for an address
    browser = browsers.open()

    # When someone tries to sign in with it
    response = await browser.post_form(
        "/login", {"email": "nobody@example.org", "password": "whatever you like"}
    )

    # Then the answer does not reveal whether the account exists
    assert response.status == 400
    assert field_errors(await response.text()) == {"email": WRONG}


async def test_too_many_failures_make_even_the_right_password_wait(node, browsers):
    # Given an account, and a limiter whose clock the test moves
    clock = _freeze_login_limiter(node)
    await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    limit = node.config.security.login_max_failures

    # When someone fails `login_max_failures` times
    for _ in range(limit):
        failed = await browser.post_form(
            "/login", {"email": "admin@example.org", "password": "guess guess guess"}
        )
        assert failed.status == 400

    # Then the next try is refused, even with the right password, saying how long to wait
    blocked = await browser.post_form(
        "/login", {"email": "admin@example.org", "password": PASSWORD}
    )
    html = await blocked.text()
    assert blocked.status == 429
    retry_after = int(blocked.headers["Retry-After"])
    window = node.config.security.login_window_minutes * 60
    assert 0 < retry_after <= window + 1
    message = field_errors(html)["email"]
    assert message.startswith("Too many failed sign-ins. Try again in ")
    assert input_value(html, "email") == "admin@example.org"
    assert browser.cookie(SESSION_COOKIE) is None

    # And once the time Retry-After gave has passed, the right password works again
    clock.now += retry_after
    assert (await browser.login("admin@example.org")).headers["Location"] == "/admin"


async def test_a_locked_out_client_does_not_lock_out_other_people(proxied_node):
    # Given two accounts, and two people on different connections
    node = proxied_node
    _freeze_login_limiter(node)
    await node.user(Role.ADMIN, "admin@example.org")
    await node.user(Role.CITY_STAFF, "staff@example.org")
    pool = Browsers(node)
    attacker = pool.open({"X-Forwarded-For": "203.0.113.66"})
    colleague = pool.open({"X-Forwarded-For": "198.51.100.7"})
    try:
        # When one of them guesses the admin's password until locked out
        for _ in range(node.config.security.login_max_failures):
            await attacker.post_form(
                "/login", {"email": "admin@example.org", "password": "guess guess guess"}
            )
        locked = await attacker.post_form(
            "/login", {"email": "staff@example.org", "password": PASSWORD}
        )

        # Then that connection waits, whatever account it tries next
        assert locked.status == 429

        # And someone else, elsewhere, signs into their own account as usual
        response = await colleague.login("staff@example.org")
        assert response.headers["Location"] == "/city"
    finally:
        await pool.close()


async def test_a_forged_forwarded_header_does_not_escape_the_limit(node, browsers):
    # Given a node that does not sit behind a trusted proxy (the default)
    _freeze_login_limiter(node)
    await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()

    # When a client claims a new address with every failed try
    for attempt in range(node.config.security.login_max_failures):
        await browser.post_form(
            "/login",
            {"email": "someone@example.org", "password": "guess guess guess"},
            headers={"X-Forwarded-For": f"192.0.2.{attempt}"},
        )
    response = await browser.post_form(
        "/login",
        {"email": "admin@example.org", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )

    # Then the header is ignored and the client is still held back
    assert response.status == 429


async def test_a_pending_request_to_join_gets_a_clear_message(node, browsers):
    # Given someone who asked to join without a code, not yet approved
    neighbourhood = await node.register.create_neighbourhood("Centre")
    await node.accounts.request_to_join(
        neighbourhood.id,
        "Rue Haute 3, 7000 Mons",
        "",
        NewAccount("waiting@example.org", "Waiting", PASSWORD),
        PASSWORD,
    )
    browser = browsers.open()

    # When they try to sign in with their password
    response = await browser.post_form(
        "/login", {"email": "waiting@example.org", "password": PASSWORD}
    )

    # Then they are told they are waiting for a moderator, and get no session
    assert response.status == 403
    assert "Your request to join is waiting for a moderator&#39;s approval." in (
        await response.text()
    )
    assert browser.cookie(SESSION_COOKIE) is None


async def test_a_suspended_account_gets_a_clear_message(node, browsers):
    # Given a suspended resident
    await node.register.create_neighbourhood("Centre")
    user = await node.user(Role.RESIDENT, "suspended@example.org", "centre")
    await node.client.app[DATABASE].write(
        "suspend", users_store.update_user_status, user.id, UserStatus.SUSPENDED
    )
    browser = browsers.open()

    # When they try to sign in
    response = await browser.post_form(
        "/login", {"email": "suspended@example.org", "password": PASSWORD}
    )

    # Then they are told whom to contact, and get no session
    assert response.status == 403
    assert "This account cannot sign in. Contact your neighbourhood" in await response.text()
    assert browser.cookie(SESSION_COOKIE) is None


async def test_a_suspended_account_loses_its_open_session(node, browsers):
    # Given a resident signed in
    await node.register.create_neighbourhood("Centre")
    user = await node.user(Role.RESIDENT, "resident@example.org", "centre")
    browser = browsers.open()
    await browser.login(user.email)
    assert (await browser.get("/neighbourhood")).status == 200

    # When the account is suspended
    await node.client.app[DATABASE].write(
        "suspend", users_store.update_user_status, user.id, UserStatus.SUSPENDED
    )

    # Then the next page asks them to sign in
    response = await browser.get("/neighbourhood")
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/neighbourhood"


async def test_signing_out_ends_the_session_on_the_server(node, browsers):
    # Given an admin signed in, and a copy of their session cookie
    await node.user(Role.ADMIN, "admin@example.org")
    browser = browsers.open()
    await browser.login("admin@example.org")
    stolen = browser.cookie(SESSION_COOKIE)
    assert stolen

    # When they sign out
    response = await browser.post_form("/logout")

    # Then their browser forgets the cookie, and the copied cookie opens nothing any more
    assert response.status == 303
    assert browser.cookie(SESSION_COOKIE) is None
    replay = browsers.open()
    replay.session.cookie_jar.update_cookies({SESSION_COOKIE: stolen}, response_url=replay.url("/"))
    page = await replay.get("/admin")
    assert page.status == 303
    assert page.headers["Location"] == "/login?next=/admin"
