"""The foundation, end to end, as an IT team and a resident live it: a node started like
`scripts/run` starts it, driven through a real headless Chromium."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.web.conftest import ServedNode

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "a long admin passphrase"
RESIDENT_PASSWORD = "my garden has tulips"


def write_register(path: Path, households: int) -> Path:
    lines = ["street,number,box,postcode,municipality,neighbourhood"]
    for i in range(households):
        neighbourhood = "Centre" if i % 2 else "Nimy"
        street = "Grand-Rue" if i % 2 else "Chaussée de Bruxelles"
        lines.append(f"{street},{i // 2 + 1},,7000,Mons,{neighbourhood}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_admin_sets_up_the_node_and_a_resident_joins_with_a_letter_code(
    served_node: ServedNode, page, tmp_path: Path
):
    base = served_node.base_url

    # Given a fresh node, whose start printed a one-time setup link
    await page.goto(served_node.setup_link)
    await page.get_by_label("Your name").fill("Marie Admin")
    await page.get_by_label("E-mail address").fill("it@mons.example")
    await page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    await page.get_by_label("Password again").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Create the account").click()
    await page.wait_for_url(f"{base}/admin")

    # The admin signs out and back in
    await page.get_by_role("button", name="Sign out").click()
    await page.goto(f"{base}/login")
    await page.get_by_label("E-mail address").fill("it@mons.example")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/admin")

    # She creates two neighbourhoods
    for name in ("Centre", "Nimy"):
        await page.goto(f"{base}/admin/neighbourhoods")
        await page.get_by_label("Name").fill(name)
        await page.get_by_role("button", name="Create").click()
        await page.wait_for_selector("text=The neighbourhood was created.")
    rows = page.locator("table tbody tr")
    assert await rows.count() == 2

    # Importing without choosing a file is explained beside the field
    await page.goto(f"{base}/admin/addresses")
    await page.get_by_role("button", name="Import").click()
    assert await page.locator("#field-register-error").is_visible()

    # She imports a 500-address register
    await page.goto(f"{base}/admin/addresses")
    await page.get_by_label("CSV file").set_input_files(
        str(write_register(tmp_path / "register.csv", 500))
    )
    await page.get_by_role("button", name="Import").click()
    await page.wait_for_selector("text=The register was imported")
    assert await page.get_by_text("500 new households").is_visible()
    assert await page.get_by_text("500 invitation codes issued").is_visible()

    # She prints the letters: one page per household
    await page.goto(f"{base}/admin/households")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download the letters (PDF)").click()
    download = await download_info.value
    pdf = PdfReader(io.BytesIO(Path(await download.path()).read_bytes()))
    assert len(pdf.pages) == 500

    # A code from the list, as printed on a Nimy household's letter
    await page.get_by_label("Neighbourhood").select_option(label="Nimy")
    await page.get_by_label("Street or postcode").fill("Chaussée")
    await page.get_by_role("button", name="Filter").click()
    assert await page.get_by_text("250 households").is_visible()
    nimy_row = page.locator("tr", has_text="Chaussée de Bruxelles 1,").first
    code = (await nimy_row.locator("code").inner_text()).strip()
    assert any(code in p.extract_text() for p in pdf.pages)
    await page.get_by_role("button", name="Sign out").click()

    # When a resident scans the QR code (the sign-up page with the code filled in)...
    await page.goto(f"{base}/signup?code={code.replace('-', '')}")
    assert await page.get_by_label("Invitation code").input_value() == code
    await page.get_by_label("Your name").fill("Jean V.")
    await page.get_by_label("E-mail address").fill("jean@example.org")
    await page.get_by_label("Password", exact=True).fill(RESIDENT_PASSWORD)
    await page.get_by_label("Password again").fill(RESIDENT_PASSWORD)
    await page.get_by_role("button", name="Join").click()

    # Then he is in his household's neighbourhood
    await page.wait_for_url(f"{base}/neighbourhood?welcome=1")
    assert await page.get_by_role("heading", name="Welcome to Nimy!").is_visible()
    assert await page.get_by_role("heading", level=1).inner_text() == "Nimy"


async def test_a_wrong_code_is_explained_beside_the_field_and_nothing_typed_is_lost(
    served_node: ServedNode, page
):
    base = served_node.base_url
    await page.goto(f"{base}/signup")
    await page.get_by_label("Invitation code").fill("ABCDE-FGHJK")
    await page.get_by_label("Your name").fill("Lucie")
    await page.get_by_label("E-mail address").fill("lucie@example.org")
    await page.get_by_label("Password", exact=True).fill("short")
    await page.get_by_label("Password again").fill("short")
    await page.get_by_role("button", name="Join").click()

    summary = page.get_by_role("alert")
    assert await summary.get_by_text("There is a problem").is_visible()
    # The summary links to the fields; the message sits beside each field
    await summary.get_by_role("link", name="Use at least 10 characters").click()
    assert await page.locator("#field-password").evaluate("el => document.activeElement === el")
    assert await page.locator("#field-password-error").is_visible()
    assert await page.get_by_label("Your name").input_value() == "Lucie"
    assert await page.get_by_label("E-mail address").input_value() == "lucie@example.org"
    assert await page.get_by_label("Password", exact=True).input_value() == ""


async def test_a_page_loads_without_a_failed_request(served_node: ServedNode, page):
    # Browsers ask for an icon; with none named, each page logged a 404 in the console.
    failed: list[str] = []
    page.on("console", lambda message: message.type == "error" and failed.append(message.text))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    await page.goto(f"{served_node.base_url}/login")
    icon = await page.locator('link[rel="icon"]').get_attribute("href")
    response = await page.request.get(f"{served_node.base_url}{icon}")
    assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"
    await page.wait_for_timeout(500)  # the icon is fetched after the page has loaded
    assert failed == []
