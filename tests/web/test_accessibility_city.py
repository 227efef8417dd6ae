"""axe-core audit of the city dashboard and of the participation pages residents use
(surveys, initiatives), in English on a desktop and in French on a phone."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser

from node.services.city_broadcast import Targets
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.api.test_surveys_pages import city_with_residents, publish
from tests.web.test_accessibility import serious_violations, sign_in

STAFF_PAGES = [
    "/city",
    "/city/announcements",
    "/city/events",
    "/city/surveys",
    "/city/surveys/new",
    "/city/surveys/{survey}",
    "/city/volunteer-calls",
    "/city/initiatives",
    "/city/budgets",
    "/city/statistics",
]
RESIDENT_PAGES = ["/surveys", "/initiatives", "/initiatives/new"]


@pytest.mark.parametrize(
    ("locale", "viewport"),
    [("en-GB", {"width": 1280, "height": 900}), ("fr-BE", {"width": 375, "height": 740})],
)
async def test_dashboard_and_participation_pages_have_no_serious_violation(
    aiohttp_client, tmp_path, browser: Browser, locale: str, viewport: dict
):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 3, "Nimy": 2})
    survey = await publish(city, Targets(everywhere=True))
    node = city.node
    context = await browser.new_context(
        locale=locale,
        viewport=viewport,
        bypass_csp=True,  # axe injects its script
        extra_http_headers={"Accept-Language": locale},
    )
    page = await context.new_page()
    problems: dict[str, list[str]] = {}

    await sign_in(page, node, city.staff.email)
    for path in STAFF_PAGES:
        response = await page.goto(str(node.client.make_url(path.format(survey=survey.id))))
        assert response is not None and response.status == 200, path
        problems[path] = await serious_violations(page)
    # The survey builder sent back with errors: summary and messages beside the fields
    await page.goto(str(node.client.make_url("/city/surveys/new")))
    await page.locator("form[action='/city/surveys/new'] button[type=submit]").click()
    await page.wait_for_load_state()
    assert await page.locator(".error-summary").count() == 1
    problems["/city/surveys/new (with errors)"] = await serious_violations(page)

    await context.clear_cookies()
    await sign_in(page, node, city.residents["centre"][0].email)
    for path in RESIDENT_PAGES:
        response = await page.goto(str(node.client.make_url(path)))
        assert response is not None and response.status == 200, path
        problems[path] = await serious_violations(page)
    await page.goto(str(node.client.make_url("/surveys")))
    survey_link = page.locator("main a[href^='/surveys/']").first
    await survey_link.click()
    await page.wait_for_load_state()
    problems["/surveys/{id}"] = await serious_violations(page)
    await context.close()

    found = {path: issues for path, issues in problems.items() if issues}
    assert found == {}, json.dumps(found, indent=2)
