"""Importing a municipality's address register: problems by line, all or nothing, idempotent."""

from __future__ import annotations

import io
import zipfile

import pytest

from node.bootstrap import migrate_database
from node.models import Neighbourhood
from node.services.register import InvalidRegister, Register, parse_register
from node.storage.database import Database
from tests.conftest import REGISTER_HEADER, register_csv

NEIGHBOURHOODS = [
    Neighbourhood(1, "centre", "Centre", 0),
    Neighbourhood(2, "nimy", "Nimy", 0),
    Neighbourhood(3, "sint-katelijne", "Sint-Katelijne", 0),
]


def problems_of(data: bytes) -> list[tuple[int, str]]:
    _rows, problems = parse_register(data, NEIGHBOURHOODS)
    return [(p.line, p.message % p.params if p.params else p.message) for p in problems]


@pytest.fixture
async def register(tmp_path):
    path = tmp_path / "register.sqlite3"
    migrate_database(path)
    db = await Database.open(path)
    register = Register(db, "https://quartier.mons.be", "Mons")
    await register.create_neighbourhood("Centre")
    await register.create_neighbourhood("Nimy")
    yield register
    await db.close()


async def households(register: Register) -> list:
    items, _ = await register.household_page(None, "", 1, per_page=10_000)
    return items


# -- problems, by line -------------------------------------------------------------------------


def test_a_bad_postcode_and_an_unknown_neighbourhood_are_reported_on_their_lines():
    # Given a register whose line 3 has a bad postcode and line 5 an unknown neighbourhood
    data = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "70", "Mons", "centre"),
            ("Grand-Place", "3", "", "7000", "Mons", "centre"),
            ("Rue Inconnue", "4", "", "7000", "Mons", "Atlantis"),
        ]
    )

    # Then each problem is reported with its line as a spreadsheet numbers it
    assert problems_of(data) == [
        (3, "postcode '70' is not a postcode"),
        (
            5,
            "neighbourhood 'Atlantis' does not exist; create it first or use one of: "
            "Centre, Nimy, Sint-Katelijne",
        ),
    ]


def test_every_field_problem_names_its_line():
    data = register_csv(
        [
            ("", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "A1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "1", "", "7000", "", "centre"),
            ("Grand-Place", "2", "x" * 21, "7000", "Mons", "centre"),
        ]
    )

    assert problems_of(data) == [
        (2, "the street is empty"),
        (3, "house number 'A1' should start with a digit, like 12 or 12A"),
        (4, "the municipality is empty"),
        (5, f"box '{'x' * 21}' is longer than 20 characters"),
    ]


def test_a_duplicate_address_points_at_its_first_line():
    # Given the same address twice, written differently
    data = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
            ("grand-place ", "1", "", "7000", "Mons", "centre"),
        ]
    )

    assert problems_of(data) == [(4, "this address already appears on line 2")]


def test_blank_lines_are_skipped_but_still_counted():
    data = (
        REGISTER_HEADER
        + "Grand-Place,1,,7000,Mons,centre\n\n,,,,,\nGrand-Place,2,,70,Mons,centre\n"
    ).encode()

    assert problems_of(data) == [(5, "postcode '70' is not a postcode")]


def test_a_missing_column_is_reported_on_the_header_line():
    data = b"street,number,box,municipality,neighbourhood\nGrand-Place,1,,Mons,centre\n"

    ((line, message),) = problems_of(data)
    assert line == 1
    assert "postcode" in message
    assert "street, number, box, postcode, municipality, neighbourhood" in message


def test_an_empty_file_says_so():
    assert problems_of(b"") == [(1, "The file is empty.")]
    assert problems_of(b"\xef\xbb\xbf  \r\n") == [(1, "The file is empty.")]


def test_a_header_without_addresses_says_so():
    assert problems_of(REGISTER_HEADER.encode()) == [(2, "The file has a header but no address.")]


def test_a_semicolon_separated_file_from_a_european_spreadsheet_is_read():
    data = (
        "street;number;box;postcode;municipality;neighbourhood\r\n"
        "Rue de la Paix, côté impair;5;;7000;Mons;Centre\r\n"
    ).encode()

    rows, problems = parse_register(data, NEIGHBOURHOODS)
    assert problems == []
    assert [(r.street, r.number, r.neighbourhood_slug) for r in rows] == [
        ("Rue de la Paix, côté impair", "5", "centre")
    ]


def test_a_windows_1252_file_keeps_its_accents():
    # Given Excel's "CSV" export on Windows, in its own encoding
    data = (
        "rue;numéro;boîte;code postal;commune;quartier\r\n"
        "Rue de l'Église;3;;7000;Mons;Centre\r\n"
        "Chaussée de Bruxelles;112;3;7000;Mons;Nimy\r\n"
    ).encode("cp1252")

    rows, problems = parse_register(data, NEIGHBOURHOODS)

    # Then the header is understood and the accents read right
    assert problems == []
    assert [(r.street, r.box) for r in rows] == [
        ("Rue de l'Église", ""),
        ("Chaussée de Bruxelles", "3"),
    ]


def test_dutch_headers_are_understood_in_any_order():
    data = (
        b"Wijk,Straat,Huisnummer,Bus,Postcode,Gemeente\n"
        b"Sint-Katelijne,Sint-Katelijnestraat,27,,2800,Mechelen\n"
    )

    rows, problems = parse_register(data, NEIGHBOURHOODS)

    assert problems == []
    assert [(r.street, r.number, r.municipality, r.neighbourhood_slug) for r in rows] == [
        ("Sint-Katelijnestraat", "27", "Mechelen", "sint-katelijne")
    ]


def test_a_neighbourhood_is_found_by_name_or_short_name_whatever_the_case():
    data = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "CENTRE"),
            ("Sint-Katelijnestraat", "2", "", "2800", "Mechelen", "Sint Katelijne"),
        ]
    )

    rows, problems = parse_register(data, NEIGHBOURHOODS)
    assert problems == []
    assert [r.neighbourhood_slug for r in rows] == ["centre", "sint-katelijne"]


# -- importing ---------------------------------------------------------------------------------


async def test_importing_the_same_file_twice_changes_nothing(register):
    # Given a register imported once
    data = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "A", "7000", "Mons", "centre"),
            ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
        ]
    )
    first = await register.import_register(data)
    codes = {item.household.id: item.code for item in await households(register)}

    # When the same file is imported again
    second = await register.import_register(data)

    # Then nothing is created and no code changes
    assert (first.created, first.codes_issued) == (3, 3)
    assert (second.created, second.updated, second.unchanged, second.codes_issued) == (0, 0, 3, 0)
    assert {item.household.id: item.code for item in await households(register)} == codes


async def test_an_address_that_moves_neighbourhood_is_updated_and_keeps_its_code(register):
    # Given a household imported in Centre
    await register.import_register(
        register_csv([("Rue de Nimy", "2", "", "7000", "Mons", "centre")])
    )
    (before,) = await households(register)

    # When the next register places that address in Nimy
    result = await register.import_register(
        register_csv([("Rue de Nimy", "2", "", "7000", "Mons", "nimy")])
    )

    # Then the household moves, the same one, with the same code
    (after,) = await households(register)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert after.household.id == before.household.id
    assert after.neighbourhood_name == "Nimy"
    assert after.code == before.code


async def test_one_bad_row_in_five_hundred_imports_nothing(register):
    # Given a register that already holds one household
    await register.import_register(
        register_csv([("Grand-Place", "1", "", "7000", "Mons", "centre")])
    )
    before = len(await households(register))

    # When a 500-row file with one bad postcode on line 400 is imported
    rows = [(f"Rue {i // 50}", str(i), "", "7000", "Mons", "centre") for i in range(500)]
    rows[398] = ("Rue X", "1", "", "7", "Mons", "centre")
    with pytest.raises(InvalidRegister) as raised:
        await register.import_register(register_csv(rows))

    # Then the error names that line and not one of the other 499 rows was imported
    assert [(p.line, p.message % p.params) for p in raised.value.problems] == [
        (400, "postcode '7' is not a postcode")
    ]
    assert len(await households(register)) == before == 1


async def test_a_valid_five_hundred_row_file_imports_every_row(register):
    rows = [(f"Rue {i // 50}", str(i), "", "7000", "Mons", "nimy") for i in range(500)]

    result = await register.import_register(register_csv(rows))

    imported = await households(register)
    assert (result.created, result.codes_issued) == (500, 500)
    assert len(imported) == 500
    assert len({item.code for item in imported}) == 500


def test_a_spreadsheet_uploaded_instead_of_its_csv_export_is_refused_at_the_header():
    # Given an .xlsx workbook (a zip archive), chosen by mistake instead of the CSV export
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml", "<worksheet>" + "<row/>" * 200 + "</worksheet>"
        )

    # Then the register is refused on line 1, naming the columns it expects
    ((line, message),) = problems_of(workbook.getvalue())
    assert line == 1
    assert "Expected: street, number, box, postcode, municipality, neighbourhood." in message
