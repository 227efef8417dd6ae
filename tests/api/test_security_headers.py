"""Headers every response carries, and those only pages carry (a browser acts on them)."""

from __future__ import annotations

from node.api.middlewares import SESSION_COOKIE
from node.models import Role


async def test_pages_forbid_framing_and_foreign_scripts(node):
    for path in ("/login", "/no/such/page"):  # a page, and an error page
        response = await node.client.get(path)
        assert response.headers["Content-Type"].startswith("text/html")
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


async def test_json_answers_are_not_sniffed_and_carry_no_page_policy(node):
    response = await node.client.get("/healthz")
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers
    assert "X-Frame-Options" not in response.headers


async def test_a_session_cookie_among_others_signs_the_visitor_in(node):
    await node.user(Role.ADMIN, "admin@example.org")
    await node.login("admin@example.org")
    session = node.client.session.cookie_jar.filter_cookies(node.client.make_url("/"))[
        SESSION_COOKIE
    ].value
    node.client.session.cookie_jar.clear()
    # As a browser may send it: other cookies around ours, spaces, a quoted value, a stray
    # part without "=", and an earlier cookie of the same name (the last one counts, as
    # with aiohttp's own parsing).
    header = f'{SESSION_COOKIE}=stale; theme=dark;  {SESSION_COOKIE}="{session}" ; junk'
    response = await node.client.get("/account", headers={"Cookie": header})
    assert response.status == 200
    assert "admin@example.org" in await response.text()
    # A session token inside another cookie's value is not a session.
    node.client.session.cookie_jar.clear()
    response = await node.client.get(
        "/account",
        headers={"Cookie": f"theme=dark {SESSION_COOKIE}={session}"},
        allow_redirects=False,
    )
    assert response.status == 303
    # Without it, the same page asks to sign in.
    response = await node.client.get(
        "/account", headers={"Cookie": "theme=dark"}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"].startswith("/login")
