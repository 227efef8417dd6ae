"""axe-core (from the npm registry), run in a real Chromium over the main pages: no serious or
critical WCAG 2.1 A/AA violation, in English and in French, on a phone-sized screen too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from node.api.app_keys import POSTS
from node.models import Role
from node.services.post_drafts import PostDraft
from tests.conftest import PASSWORD, Node

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RESIDENT_PAGES = [
    "/neighbourhood",
    "/posts/new",
    "/posts/{post}",
    "/events",
    "/search?q=ladder",
    "/helpers",
    "/helpers/me",
    "/directory",
    "/directory/me",
    "/messages",
    "/notifications",
    "/notifications/settings",
    "/rules",
    "/account",
    "/account/data",
    "/privacy",
]
ANONYMOUS_PAGES = ["/", "/login", "/signup", "/join"]


async def serious_violations(page: Page) -> list[str]:
    assert AXE.exists(), "axe-core is missing: scripts/test installs it (tests/web/package.json)"
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    assert len(result["passes"]) > 10, "axe checked almost nothing: is the page empty?"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + json.dumps([n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def sign_in(page: Page, node: Node, email: str) -> None:
    await page.goto(str(node.client.make_url("/login")))
    await page.locator("#field-email").fill(email)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form[action='/login'] button[type=submit]").click()
    await page.wait_for_load_state()


@pytest.mark.parametrize(
    ("locale", "viewport"),
    [("en-GB", {"width": 1280, "height": 900}), ("fr-BE", {"width": 375, "height": 740})],
)
async def test_main_pages_have_no_serious_accessibility_violation(
    node: Node, browser: Browser, locale: str, viewport: dict
):
    await node.register.create_neighbourhood("Centre")
    anne = await node.accounts.create_user(
        "anne@example.org", "Anne", Role.RESIDENT, "centre", PASSWORD
    )
    post_id = await node.client.app[POSTS].create_post(
        anne,
        PostDraft(
            category="offer", offer_kind="lend", title="Ladder to lend", body="A **3 m** ladder."
        ),
    )
    # axe needs to inject its script: the audit context ignores our script policy
    context = await browser.new_context(
        locale=locale,
        viewport=viewport,
        bypass_csp=True,
        extra_http_headers={"Accept-Language": locale},
    )
    page = await context.new_page()
    problems: dict[str, list[str]] = {}
    for path in ANONYMOUS_PAGES:
        await page.goto(str(node.client.make_url(path)))
        problems[path] = await serious_violations(page)
    # A form sent back with errors: the error summary and the messages beside the fields
    await page.goto(str(node.client.make_url("/signup")))
    await page.locator("form[action='/signup'] button[type=submit]").click()
    await page.wait_for_load_state()
    problems["/signup (with errors)"] = await serious_violations(page)

    await sign_in(page, node, "anne@example.org")
    for path in RESIDENT_PAGES:
        await page.goto(str(node.client.make_url(path.format(post=post_id))))
        problems[path] = await serious_violations(page)
    await context.close()

    found = {path: issues for path, issues in problems.items() if issues}
    assert found == {}, json.dumps(found, indent=2)
