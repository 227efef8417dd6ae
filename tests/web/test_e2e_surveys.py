"""A city survey in a real headless Chromium: city staff build one in the builder (a mistake
explained beside its field, nothing typed lost), a resident finds it, answers and changes the
answer, neighbours answer too, and staff close it and read the results: the counts the
residents gave, a bar chart with its labels, small cells hidden, and a CSV with the same
numbers."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from node.api.app_keys import REPORTING
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.api.test_surveys_pages import city_with_residents
from tests.web.test_accessibility import sign_in
from tests.web.test_e2e_neighbourhood import signed_in_page

pytestmark = pytest.mark.browser

TITLE = "Getting around Mons"
SHARE_LABEL = "Share free-text answers with the city (residents are told)"

# Centre's other five households, answered through the service: (single, multiple, scale
# index, shared text). With Anne's final answer (Bike; Pavements and Lighting; 4; a text):
# Bike 6; Pavements 6, Lighting 5, Benches 1 (hidden); 4 on the scale 6 times; five texts.
NEIGHBOURS = [
    ([0], [0, 1], [3], "More trees"),
    ([0], [0, 1], [3], "More trees"),
    ([0], [0, 1], [3], "Plant flowers"),
    ([0], [0, 1], [3], "More benches"),
    ([0], [0, 2], [3], None),
]


def question_block(page: Page, number: int) -> Locator:
    """Block `number` of the builder (a fieldset whose legend is "Question <number>")."""
    return page.get_by_role("group", name=f"Question {number}", exact=True)


async def fill_question(
    page: Page, number: int, text: str, kind: str, options: str = "", scale: str = ""
) -> Locator:
    block = question_block(page, number)
    await block.get_by_label("Question", exact=True).fill(text)
    await block.get_by_label("Kind of answer").select_option(label=kind)
    if options:
        await block.get_by_label("Options", exact=True).fill(options)
    if scale:
        await block.get_by_label("Scale", exact=True).select_option(label=scale)
    return block


async def chart_texts(chart: Locator, kind: str) -> list[str]:
    """A chart's labels or values (kind "label" or "value"), each checked to be drawn
    inside the chart, where a reader sees it."""
    frame = await chart.bounding_box()
    assert frame is not None
    texts = chart.locator(f"text.chart-{kind}")
    for text in await texts.all():
        await expect(text).to_be_visible()
        box = await text.bounding_box()
        assert box is not None and box["width"] > 0
        assert (
            frame["x"] - 1 <= box["x"]
            and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        )
        assert (
            frame["y"] - 1 <= box["y"]
            and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
        )
    return [" ".join(t.split()) for t in await texts.all_text_contents()]


async def cells(row: Locator) -> list[str]:
    """The texts of a table row's cells, as read (no-break spaces read as spaces)."""
    texts = await row.locator("th, td").all_inner_texts()
    return [" ".join(text.split()) for text in texts]


async def test_staff_build_a_survey_residents_answer_and_staff_read_the_results(
    aiohttp_client, tmp_path: Path, page: Page, browser: Browser
):
    city = await city_with_residents(aiohttp_client, tmp_path, {"Centre": 6, "Nimy": 2})
    node = city.node
    closes = (datetime.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")

    # City staff open the builder from their list of surveys
    staff = page
    await sign_in(staff, node, "staff@mons.example")
    await staff.goto(str(node.client.make_url("/city/surveys")))
    await staff.get_by_role("link", name="New survey").click()
    await staff.wait_for_url(re.compile(r".*/city/surveys/new$"))

    # ... and build four questions, typing the second one's options on one line by mistake
    await staff.get_by_label("Title", exact=True).fill(TITLE)
    await staff.get_by_label("Introduction (optional)").fill("Tell us how you **move**.")
    await staff.get_by_label("Closes", exact=True).fill(closes)
    targets = staff.get_by_role("group", name="To which neighbourhoods")
    await targets.get_by_label("Centre", exact=True).check()
    await targets.get_by_label("Nimy", exact=True).check()
    await fill_question(
        staff, 1, "How do you get to the centre?", "One choice among options", "Bike\nBus\nCar"
    )
    await fill_question(
        staff,
        2,
        "What should we improve?",
        "Several choices among options",
        "Pavements, Lighting, Benches",
    )
    await fill_question(staff, 3, "How safe do you feel cycling?", "A scale", scale="1 to 5")
    free_text = await fill_question(staff, 4, "Ideas for the square?", "Free text")
    await free_text.get_by_label(SHARE_LABEL).check()
    await staff.get_by_role("button", name="Publish the survey").click()

    # The problem is summarised at the top and explained beside the options of question 2
    summary = staff.get_by_role("alert")
    await expect(summary.get_by_text("There is a problem")).to_be_visible()
    second = question_block(staff, 2)
    await expect(second.locator(".error-message")).to_have_text(
        re.compile(r"Give 2 to 20 options, one per line\.$")
    )
    options = second.get_by_label("Options", exact=True)
    assert await options.get_attribute("aria-invalid") == "true"
    await summary.get_by_role("link", name="Give 2 to 20 options, one per line.").click()
    await expect(options).to_be_focused()
    # Everything typed is still there
    assert await staff.get_by_label("Title", exact=True).input_value() == TITLE
    assert await staff.get_by_label("Closes", exact=True).input_value() == closes
    assert await targets.get_by_label("Centre", exact=True).is_checked()
    assert await targets.get_by_label("Nimy", exact=True).is_checked()
    first = question_block(staff, 1)
    assert await first.get_by_label("Options", exact=True).input_value() == "Bike\nBus\nCar"
    assert await options.input_value() == "Pavements, Lighting, Benches"
    scale_kind = question_block(staff, 3).get_by_label("Kind of answer")
    assert await scale_kind.input_value() == "scale"
    assert await free_text.get_by_label(SHARE_LABEL).is_checked()
    assert (
        await free_text.get_by_label("Question", exact=True).input_value()
        == "Ideas for the square?"
    )

    # Corrected, the survey is published
    await options.fill("Pavements\nLighting\nBenches")
    await staff.get_by_role("button", name="Publish the survey").click()
    await staff.wait_for_url(re.compile(r".*/city/surveys/\d+\?notice=created$"))
    survey_url = staff.url.split("?")[0]
    await expect(staff.get_by_role("status")).to_contain_text("Published.")
    sent_to = staff.locator("dt", has_text="Sent to").locator("xpath=following-sibling::dd")
    await expect(sent_to).to_have_text("Centre, Nimy")

    # Anne, in Centre, sees it on her neighbourhood's page and in her surveys
    anne = await signed_in_page(browser, node, "centre1@example.org")
    from_city = anne.get_by_role("region", name="From the city")
    await expect(from_city.get_by_role("link", name=TITLE)).to_be_visible()
    await anne.goto(str(node.client.make_url("/surveys")))
    await anne.get_by_role("link", name=TITLE).click()
    await anne.wait_for_url(re.compile(r".*/surveys/\d+$"))
    survey_page = anne.url
    await expect(anne.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(
        anne.get_by_text("Your answer to this question will be shown to the city")
    ).to_be_visible()

    # She answers...
    single = anne.get_by_role("group", name=re.compile(r"^How do you get to the centre\?"))
    multiple = anne.get_by_role("group", name=re.compile(r"^What should we improve\?"))
    scale = anne.get_by_role("group", name=re.compile(r"^How safe do you feel cycling\?"))
    ideas = anne.get_by_label(re.compile(r"^Ideas for the square\?"))
    await single.get_by_label("Car", exact=True).check()
    await multiple.get_by_label("Pavements", exact=True).check()
    await multiple.get_by_label("Benches", exact=True).check()
    await scale.get_by_label("2", exact=True).check()
    await ideas.fill("Car-free Sundays")
    await anne.get_by_role("button", name="Send my answer").click()
    await anne.wait_for_url(re.compile(r".*/surveys/\d+\?notice=saved$"))
    await expect(anne.get_by_role("status")).to_contain_text("Your answer was saved")

    # ... then changes her mind
    await single.get_by_label("Bike", exact=True).check()
    await multiple.get_by_label("Benches", exact=True).uncheck()
    await multiple.get_by_label("Lighting", exact=True).check()
    await scale.get_by_label("4", exact=True).check()
    await ideas.fill("A water fountain")
    await anne.get_by_role("button", name="Save my new answer").click()
    await anne.wait_for_url(re.compile(r".*/surveys/\d+\?notice=saved$"))
    await anne.goto(survey_page)
    assert await single.get_by_label("Bike", exact=True).is_checked()
    assert not await single.get_by_label("Car", exact=True).is_checked()
    assert await multiple.get_by_label("Pavements", exact=True).is_checked()
    assert await multiple.get_by_label("Lighting", exact=True).is_checked()
    assert not await multiple.get_by_label("Benches", exact=True).is_checked()
    assert await scale.get_by_label("4", exact=True).is_checked()
    assert await ideas.input_value() == "A water fountain"

    # Her five neighbours answer too, and one household of two in Nimy
    for resident, (one, several, level, text) in zip(
        city.residents["centre"][1:], NEIGHBOURS, strict=True
    ):
        message_id = (await city.surveys.list_received(resident))[0].message_id
        answers = {0: one, 1: several, 2: level} | ({3: text} if text else {})
        await city.surveys.answer(resident, message_id, answers)
    nimy = city.residents["nimy"][0]
    message_id = (await city.surveys.list_received(nimy))[0].message_id
    await city.surveys.answer(nimy, message_id, {0: [1], 1: [1], 2: [2], 3: "A bus shelter"})

    # Staff close the survey; the neighbourhoods send their final figures
    await staff.goto(survey_url)
    await expect(staff.get_by_text("Results arrive once the survey closes")).to_be_visible()
    await staff.get_by_role("button", name="Close now").click()
    await staff.wait_for_url(re.compile(r".*\?notice=closed$"))
    await node.client.app[REPORTING].drain()
    await staff.goto(survey_url)

    # Participation: 6 of 6 households in Centre, 1 of 2 in Nimy, 7 of 8 in all
    participation = staff.get_by_role("table", name="Households that answered, per neighbourhood")
    rows = participation.locator("tbody tr")
    centre_row = await cells(rows.filter(has_text="Centre"))
    assert centre_row[1:5] == ["6", "6", "100 %", "6"]
    assert (await cells(rows.filter(has_text="Nimy")))[1:5] == ["1", "2", "50 %", "1"]
    assert (await cells(participation.locator("tfoot tr")))[:5] == [
        "All neighbourhoods",
        "7",
        "8",
        "87.5 %",
        "7",
    ]

    # Question 1: a bar chart whose labels and values are text, and the table beside it
    q1 = staff.locator("#question-1")
    await expect(q1.get_by_role("heading")).to_have_text(
        "Question 1: How do you get to the centre?"
    )
    chart = q1.get_by_role("img", name="How do you get to the centre?")
    await expect(chart).to_be_visible()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    assert await chart_texts(chart, "label") == ["Bike", "Bus", "Car"]
    assert await chart_texts(chart, "value") == ["6", "0", "0"]
    overall = q1.get_by_role("table", name="All neighbourhoods")
    assert [await cells(r) for r in await overall.locator("tbody tr").all()] == [
        ["Bike", "6 (+ hidden)"],
        ["Bus", "0 (+ hidden)"],
        ["Car", "0 (+ hidden)"],
    ]
    # Nimy's single answer is too small a group to show: every total says it may hide some
    await expect(q1.get_by_text("1 answer is in hidden cells")).to_be_visible()
    per_area = q1.get_by_role("table", name="Per neighbourhood")
    assert await cells(per_area.locator("tbody tr").filter(has_text="Centre")) == [
        "Centre",
        "6",
        "0",
        "0",
        "6",
    ]
    assert await cells(per_area.locator("tbody tr").filter(has_text="Nimy")) == [
        "Nimy",
        "hidden",
        "hidden",
        "hidden",
        "1",
    ]

    # Question 2: Benches, chosen by one household only, is hidden in Centre
    q2 = staff.locator("#question-2")
    values = await chart_texts(q2.get_by_role("img"), "value")
    assert values == ["6", "5", "0"]
    centre_q2 = q2.get_by_role("table", name="Per neighbourhood").locator("tbody tr")
    assert await cells(centre_q2.filter(has_text="Centre")) == ["Centre", "6", "5", "hidden", "6"]

    # Question 3: everyone in Centre chose 4 (Anne's first 2 no longer counts)
    q3 = staff.locator("#question-3")
    labels = await chart_texts(q3.get_by_role("img"), "label")
    assert labels == ["1", "2", "3", "4", "5"]
    values = await chart_texts(q3.get_by_role("img"), "value")
    assert values == ["0", "0", "0", "6", "0"]

    # Question 4: the five shared ideas from Centre, in alphabetical order, without names;
    # Nimy's one idea stays in Nimy, and Anne's first idea is gone
    q4 = staff.locator("#question-4")
    assert await q4.locator(".shared-texts li").all_inner_texts() == [
        "A water fountain",
        "More benches",
        "More trees",
        "More trees",
        "Plant flowers",
    ]
    results_text = await staff.locator("main").inner_text()
    for absent in ("A bus shelter", "Car-free Sundays", "Resident Centre", "centre1@"):
        assert absent not in results_text

    # The CSV has the same numbers
    async with staff.expect_download() as download_info:
        await staff.get_by_role("link", name="Download the results (CSV, for spreadsheets)").click()
    download = await download_info.value
    assert re.fullmatch(r"survey-\d+-results\.csv", download.suggested_filename)
    with open(await download.path(), encoding="utf-8", newline="") as file:
        table = list(csv.reader(file))
    assert table[0][:6] == ["area", "host", "question number", "question", "cell", "count"]
    counts = {(row[0], row[2], row[4]): row[5] for row in table[1:]}
    assert counts[("All neighbourhoods", "1", "Bike")] == "6"
    assert counts[("All neighbourhoods", "1", "Bus")] == "0"
    assert counts[("Centre", "2", "Lighting")] == "5"
    assert counts[("Centre", "2", "Benches")] == "hidden"
    assert counts[("Nimy", "1", "Bus")] == "hidden"
    assert counts[("Centre", "3", "4")] == "6"
    bike = next(row for row in table if row[0] == "All neighbourhoods" and row[4] == "Bike")
    # answered, respondents, responding households, registered households
    assert bike[6:] == ["7", "7", "7", "8"]
