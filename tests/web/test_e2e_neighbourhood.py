"""Neighbourhood life in a real headless Chromium: a help request with a photo, a neighbour's
comment and thanks, the request resolved naming the helper, and the e-mail that arrives at a
real local SMTP server. Then known XSS payloads, rendered and run in the browser."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page

from node.api.app_keys import NOTIFICATIONS
from node.models import Role
from tests.conftest import PASSWORD, Node
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.browser


async def resident(node: Node, email: str, name: str):
    return await node.accounts.create_user(email, name, Role.RESIDENT, "centre", PASSWORD)


async def signed_in_page(browser: Browser, node: Node, email: str, **options) -> Page:
    context = await browser.new_context(locale="en-GB", **options)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(str(node.client.make_url("/login")))
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r".*/neighbourhood.*"))
    return page


def garden_photo(path: Path) -> Path:
    image = Image.new("RGB", (800, 600), (90, 160, 70))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


async def test_help_request_with_photo_comment_thanks_resolved_and_e_mail(
    mail_node: Node, smtp_server: SmtpServer, browser: Browser, tmp_path: Path
):
    node = mail_node
    await node.register.create_neighbourhood("Centre")
    await resident(node, "anne@example.org", "Anne Dupont")
    await resident(node, "bob@example.org", "Bob Martin")

    # Anne asks for help, with a photo
    anne = await signed_in_page(browser, node, "anne@example.org")
    await anne.get_by_role("link", name="Write a post").first.click()
    await anne.get_by_label("Help request").check()
    await anne.get_by_label("Title").fill("Who can help me carry a wardrobe?")
    await anne.get_by_label("Your message").fill("It is **heavy**. Saturday morning?")
    await anne.get_by_label("Photos (optional)").set_input_files(
        str(garden_photo(tmp_path / "wardrobe.jpg"))
    )
    await anne.get_by_role("button", name="Publish").click()
    await anne.wait_for_url(re.compile(r".*/posts/\d+$"))
    post_url = anne.url
    photo = anne.get_by_role("img", name="Photo 1 of 1")
    assert await photo.evaluate("img => img.complete && img.naturalWidth > 0")
    assert await anne.locator("strong", has_text="heavy").is_visible()

    # Bob finds it in the feed, comments and says thanks
    bob = await signed_in_page(browser, node, "bob@example.org")
    await bob.get_by_role("link", name="Who can help me carry a wardrobe?").click()
    await bob.get_by_label("Your comment").fill("I can, at 10:00!")
    await bob.get_by_role("button", name="Send comment").click()
    await bob.wait_for_url(re.compile(r".*/posts/\d+.*"))
    await bob.get_by_role("button", name=re.compile("^Thanks")).click()
    await bob.wait_for_load_state()
    assert (
        await bob.get_by_role("button", name=re.compile("^Thanks")).get_attribute("aria-pressed")
        == "true"
    )

    # Anne sees them, and marks her request resolved naming Bob
    await anne.goto(post_url)
    assert await anne.get_by_text("I can, at 10:00!").is_visible()
    assert "1" in await anne.get_by_role("button", name=re.compile("^Thanks")).inner_text()
    await anne.get_by_label("Who helped you?").select_option(label="Bob Martin")
    await anne.get_by_role("button", name="Mark as resolved").click()
    await anne.wait_for_url(re.compile(r".*/posts/\d+.*"))
    assert await anne.get_by_text("Bob Martin helped. Thank you!").is_visible()
    assert await anne.locator("h1 .tag-resolved").is_visible()

    # The mailer's pass: Anne gets an e-mail about Bob's comment at once
    await node.client.app[NOTIFICATIONS].send_due()
    messages = await smtp_server.wait_for(1)
    to_anne = [m for m in messages if m["To"] and "anne@example.org" in m["To"]]
    assert to_anne, [m["To"] for m in messages]
    text, html = smtp_server.bodies(to_anne[0])
    assert "Bob Martin" in to_anne[0]["Subject"] + text
    post_path = re.search(r"/posts/\d+", post_url).group(0)
    assert post_path in text and post_path in html
    # Nobody else's address is in it, and not the comment's words either
    assert "bob@example.org" not in text + html
    assert "I can, at 10:00!" not in text + html


XSS_PAYLOADS = {
    "title": '"><svg onload="window.__xss=1">Ladder',
    "body": (
        "<script>window.__xss=1</script>\n\n"
        '<img src=x onerror="window.__xss=1">\n\n'
        "[click me](javascript:window.__xss=1)\n\n"
        '<a href="javascript:window.__xss=1">also me</a>'
    ),
    "comment": (
        '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'
        ' <b onmouseover="window.__xss=1">hover</b>'
    ),
}


async def test_known_xss_payloads_run_nothing_in_a_real_browser(mail_node: Node, browser: Browser):
    node = mail_node
    await node.register.create_neighbourhood("Centre")
    await resident(node, "mallory@example.org", "Mallory")
    await resident(node, "victim@example.org", "Victim")

    mallory = await signed_in_page(browser, node, "mallory@example.org")
    await mallory.goto(str(node.client.make_url("/posts/new")))
    await mallory.get_by_label("Title").fill(XSS_PAYLOADS["title"])
    await mallory.get_by_label("Your message").fill(XSS_PAYLOADS["body"])
    await mallory.get_by_role("button", name="Publish").click()
    await mallory.wait_for_url(re.compile(r".*/posts/\d+$"))
    post_url = mallory.url
    await mallory.get_by_label("Your comment").fill(XSS_PAYLOADS["comment"])
    await mallory.get_by_role("button", name="Send comment").click()

    # The victim's browser ignores our Content-Security-Policy, so only sanitising protects it
    victim = await signed_in_page(browser, node, "victim@example.org", bypass_csp=True)
    dialogs: list[str] = []
    victim.on("dialog", lambda dialog: dialogs.append(dialog.message))
    for url in (
        str(node.client.make_url("/neighbourhood")),
        post_url,
        str(node.client.make_url("/search?q=Ladder")),
    ):
        await victim.goto(url)
        await victim.mouse.move(10, 10)
        for link in await victim.get_by_role("link", name=re.compile("click me|also me")).all():
            await link.click(no_wait_after=True)
        hover = victim.get_by_text("hover")
        if await hover.count():
            await hover.first.hover()
        assert await victim.evaluate("() => window.__xss") is None, url
        # The payloads are shown as text, never as elements
        assert (
            await victim.locator("svg[onload], img[onerror], iframe, script:not([src])").count()
            == 0
        )
        assert await victim.locator("[href^='javascript:']").count() == 0
    assert dialogs == []
    await victim.goto(post_url)
    assert await victim.get_by_role("heading", level=1).inner_text() == XSS_PAYLOADS["title"]
