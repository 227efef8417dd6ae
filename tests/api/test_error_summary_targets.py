"""Every link of a form's error summary ("There is a problem") leads somewhere focus can go.

The summary links to `#field-<name>`. For a text field that is the input itself; for a group
of radios or checkboxes it is the group's legend or fieldset, which takes the focus only with
tabindex="-1": otherwise following the link scrolls but leaves the focus behind, and a
screen-reader user is not brought to the question that needs an answer."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "node" / "api" / "templates"
TAG_WITH_FIELD_ID = re.compile(r'<(\w+)\b[^>]*\bid="field-[^"]*"[^>]*>', re.DOTALL)
CONTROLS = {"input", "select", "textarea", "button"}


def test_every_summary_target_can_take_the_focus():
    unfocusable = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in TAG_WITH_FIELD_ID.finditer(path.read_text(encoding="utf-8")):
            element, markup = tag[1], tag[0]
            if re.search(r'id="field-[^"]*-(error|hint)"', markup) or element in CONTROLS:
                continue
            if 'tabindex="-1"' not in markup:
                unfocusable.append(f"{path.relative_to(TEMPLATES)}: {markup[:80]}")
    assert unfocusable == []
