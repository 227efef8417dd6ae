"""The documentation cannot drift from the code: settings, commands and links are checked.

- docs/configuration.md has one table row per setting declared in node/config.py, with its
  type and default, and names no setting that does not exist;
- docs/operations.md mentions every `quartier` command and option of the CLI;
- every relative link in docs/*.md and README.md leads to an existing file (and heading).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.__main__ import build_parser
from node.config import SECTIONS, all_settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
OPERATIONS = DOCS / "operations.md"
README = ROOT / "README.md"

SETTINGS_TABLE_HEADER = ("setting", "type", "default", "meaning")
TYPE_NAMES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
# `section.key` in backticks: how the docs write a setting's name.
DOTTED_NAME = re.compile(r"`([a-z_]+)\.([a-z_]+)`")
# ...unless it is a file name such as `quartier.toml`.
FILE_SUFFIXES = frozenset({"toml", "md", "py", "pem", "json", "csv", "pdf", "gz", "html", "ics"})
FENCE = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _text(path: Path) -> str:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def _tables(markdown: str) -> Iterator[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Every pipe table outside code blocks, as (header cells, data rows of cells)."""
    lines = FENCE.sub("", markdown).splitlines()
    i = 0
    while i < len(lines):
        is_table = (
            lines[i].lstrip().startswith("|")
            and i + 1 < len(lines)
            and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[i + 1]) is not None
        )
        if not is_table:
            i += 1
            continue
        header = _cells(lines[i])
        rows = []
        i += 2
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            rows.append(_cells(lines[i]))
            i += 1
        yield header, rows


def _cells(line: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in line.strip().strip("|").split("|"))


def _settings_rows() -> list[tuple[str, ...]]:
    rows = [
        row
        for header, table_rows in _tables(_text(CONFIGURATION))
        if tuple(cell.lower() for cell in header) == SETTINGS_TABLE_HEADER
        for row in table_rows
    ]
    assert rows, f"no table headed {' | '.join(SETTINGS_TABLE_HEADER)} in configuration.md"
    return rows


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _type_name(f: dataclasses.Field) -> str:
    declared = f.type if isinstance(f.type, str) else f.type.__name__
    return TYPE_NAMES[declared]


# -- (a) settings ---------------------------------------------------------------------------


def test_every_declared_setting_has_exactly_one_row_in_configuration_md():
    declared = [name for name, _ in all_settings()]
    documented = [row[0] for row in _settings_rows()]
    unquoted = [cell for cell in documented if not DOTTED_NAME.fullmatch(cell)]
    assert not unquoted, f"write settings as `section.key` in backticks: {unquoted}"
    names = [cell.strip("`") for cell in documented]
    missing = [name for name in declared if name not in names]
    unknown = [name for name in names if name not in declared]
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
    assert not unknown, f"rows for settings node/config.py does not declare: {unknown}"
    assert not repeated, f"settings with more than one row: {repeated}"


def test_every_row_gives_the_declared_type_and_default():
    fields = dict(all_settings())
    wrong = []
    for row in _settings_rows():
        assert len(row) == len(SETTINGS_TABLE_HEADER), f"row {row[0]} has {len(row)} cells"
        name, type_cell, default_cell = row[0].strip("`"), row[1], row[2]
        f = fields.get(name)
        if f is None:
            continue  # reported by the test above
        expected_type = _type_name(f)
        expected_default = f"`{_toml_literal(f.default)}`"
        if type_cell != expected_type:
            wrong.append(f"{name}: type {type_cell!r}, code says {expected_type!r}")
        if default_cell != expected_default:
            wrong.append(f"{name}: default {default_cell!r}, code says {expected_default!r}")
        if not row[3]:
            wrong.append(f"{name}: the meaning is empty")
    assert not wrong, "docs/configuration.md disagrees with node/config.py:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", [CONFIGURATION, OPERATIONS], ids=lambda p: p.name)
def test_every_setting_named_in_the_docs_exists(path: Path):
    declared = {name for name, _ in all_settings()}
    unknown = []
    for match in DOTTED_NAME.finditer(_text(path)):
        section, key = match.groups()
        # Files such as `quartier.toml` look dotted too; only names near a section count.
        near_a_section = section in SECTIONS or difflib.get_close_matches(
            section, SECTIONS, cutoff=0.8
        )
        if near_a_section and f"{section}.{key}" not in declared:
            unknown.append(f"{section}.{key}")
    assert not unknown, f"{path.name} names settings that do not exist: {sorted(set(unknown))}"


def test_every_dotted_name_in_the_configuration_tables_is_a_setting():
    declared = {name for name, _ in all_settings()}
    unknown = [
        f"{section}.{key}"
        for _, rows in _tables(_text(CONFIGURATION))
        for row in rows
        for section, key in DOTTED_NAME.findall(" ".join(row))
        if key not in FILE_SUFFIXES and f"{section}.{key}" not in declared
    ]
    assert not unknown, f"configuration.md tables name unknown settings: {sorted(set(unknown))}"


# -- (b) the command line -------------------------------------------------------------------


def _commands(
    parser: argparse.ArgumentParser, prefix: str = "quartier"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _commands(sub, f"{prefix} {name}")


def test_every_cli_command_is_in_operations_md():
    text = _text(OPERATIONS)
    commands = [name for name, _ in _commands(build_parser())]
    assert commands, "build_parser() declares no sub-command"
    missing = [c for c in commands if not re.search(re.escape(c) + r"(?![\w-])", text)]
    assert not missing, f"docs/operations.md never mentions: {missing}"


def test_every_cli_option_is_in_operations_md():
    text = _text(OPERATIONS)
    missing = [
        f"{command} {option}"
        for command, sub in _commands(build_parser())
        for action in sub._actions
        for option in action.option_strings
        if option.startswith("--")
        and option != "--help"
        and not re.search(re.escape(option) + r"(?![\w-])", text)
    ]
    assert not missing, f"docs/operations.md never mentions these options: {missing}"


# -- (c) links ------------------------------------------------------------------------------


def _markdown_files() -> list[Path]:
    """docs/*.md, and README.md when the repository has one."""
    return sorted(DOCS.glob("*.md")) + ([README] if README.is_file() else [])


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = INLINE_CODE.sub(lambda m: m.group(0).strip("`"), heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(h) for h in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8")))}


def _relative_links(markdown: str) -> list[str]:
    prose = INLINE_CODE.sub("", FENCE.sub("", markdown))
    targets = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def test_the_documentation_exists():
    for path in (CONFIGURATION, OPERATIONS, DOCS / "architecture.md"):
        assert path.is_file(), f"{path.relative_to(ROOT)} is missing"


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file(path: Path):
    broken = []
    for target in _relative_links(path.read_text(encoding="utf-8")):
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"{target} (no heading #{anchor} in {destination.name})")
    assert not broken, f"{path.relative_to(ROOT)} has broken links: {broken}"
