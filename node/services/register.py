"""The address register: neighbourhoods, households and their invitation codes."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from node.errors import N_, Conflict, InvalidInput, NotFound, QuartierError
from node.models import (
    AddressRow,
    HouseholdInvitation,
    ImportResult,
    Neighbourhood,
    NeighbourhoodSummary,
)
from node.services import invitation_codes
from node.services.letters import InvitationLetter, render_invitation_letters
from node.storage import households as households_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage.database import Database

# Column names accepted in a register's header row, in the languages of our municipalities.
COLUMN_ALIASES = {
    "street": ("street", "rue", "straat", "strasse", "straße"),
    "number": ("number", "numero", "numéro", "nummer", "huisnummer", "no", "nr"),
    "box": ("box", "boite", "boîte", "bte", "bus"),
    "postcode": ("postcode", "code_postal", "code postal", "postal_code", "zip", "plz"),
    "municipality": ("municipality", "commune", "gemeente", "localite", "localité", "gemeinde"),
    "neighbourhood": ("neighbourhood", "neighborhood", "quartier", "wijk", "buurt", "viertel"),
}
REQUIRED_COLUMNS = ("street", "number", "postcode", "municipality", "neighbourhood")
EXPECTED_COLUMNS = "street, number, box, postcode, municipality, neighbourhood"


@dataclass(frozen=True)
class RegisterProblem:
    line: int
    message: str  # msgid
    params: dict


class CannotPrint(QuartierError):
    status = 422
    code = "cannot-print"


class InvalidRegister(QuartierError):
    """The CSV has problems; nothing of it was imported."""

    status = 422
    code = "invalid-register"

    def __init__(self, problems: list[RegisterProblem]) -> None:
        super().__init__(
            # No plural here (the error carries no count form): "problems found" reads in all.
            N_("The address register was not imported. Problems found: %(count)d."),
            count=len(problems),
        )
        self.problems = problems


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _decode(data: bytes) -> str:
    # Registers come from spreadsheets: UTF-8 (with or without BOM) or Windows-1252 from Excel.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_map(header: list[str]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        for column, aliases in COLUMN_ALIASES.items():
            if name in aliases and column not in found:
                found[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    return found, missing


_NUMBER = re.compile(r"^\d[\w/-]{0,19}$")
_POSTCODE = re.compile(r"^(?=.*\d)[A-Za-z0-9 -]{3,10}$")


def _readable_records(reader, problems: list[RegisterProblem]):
    """The reader's records, stopping with a line-numbered problem at one it cannot read."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                RegisterProblem(
                    reader.line_num,
                    N_("this line cannot be read: %(reason)s"),
                    {"reason": str(exc)},
                )
            )
            return
        yield record


def parse_register(
    data: bytes, neighbourhoods: list[Neighbourhood]
) -> tuple[list[AddressRow], list[RegisterProblem]]:
    """Read a CSV register; return its valid rows and, separately, every problem by line."""
    text = _decode(data)
    if not text.strip():
        return [], [RegisterProblem(1, N_("The file is empty."), {})]
    if "\x00" in text:
        # A workbook (.xlsx, .ods) or another binary file chosen instead of the CSV export.
        return [], [
            RegisterProblem(
                1,
                N_(
                    "This is not a CSV file (it looks like a spreadsheet or another binary file). "
                    "Save the register as CSV and import that. Expected: %(expected)s."
                ),
                {"expected": EXPECTED_COLUMNS},
            )
        ]
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        return [], [
            RegisterProblem(
                1, N_("The header row cannot be read: %(reason)s"), {"reason": str(exc)}
            )
        ]
    columns, missing = _header_map(header)
    if missing:
        return [], [
            RegisterProblem(
                1,
                N_("The header row lacks the column(s) %(missing)s. Expected: %(expected)s."),
                {"missing": ", ".join(missing), "expected": EXPECTED_COLUMNS},
            )
        ]
    by_key = {}
    for n in neighbourhoods:
        by_key[n.slug] = n.slug
        by_key[n.name.casefold()] = n.slug
    rows: list[AddressRow] = []
    problems: list[RegisterProblem] = []
    seen: dict[str, int] = {}
    for record in _readable_records(reader, problems):
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue

        def cell(column: str, record: list[str] = record) -> str:
            index = columns.get(column)
            if index is None or index >= len(record):
                return ""
            return " ".join(record[index].split())

        street, number, box = cell("street"), cell("number"), cell("box")
        postcode, municipality, neighbourhood = (
            cell("postcode"),
            cell("municipality"),
            cell("neighbourhood"),
        )
        problem = None
        if not street:
            problem = (N_("the street is empty"), {})
        elif len(street) > 200:
            problem = (N_("the street is longer than 200 characters"), {})
        elif not _NUMBER.match(number):
            problem = (
                N_("house number %(value)r should start with a digit, like 12 or 12A"),
                {"value": number},
            )
        elif len(box) > 20:
            problem = (N_("box %(value)r is longer than 20 characters"), {"value": box})
        elif not _POSTCODE.match(postcode):
            problem = (N_("postcode %(value)r is not a postcode"), {"value": postcode})
        elif not municipality:
            problem = (N_("the municipality is empty"), {})
        elif neighbourhood.casefold() not in by_key and slugify(neighbourhood) not in by_key:
            problem = (
                N_(
                    "neighbourhood %(value)r does not exist; create it first or use one of: "
                    "%(known)s"
                ),
                {
                    "value": neighbourhood,
                    "known": ", ".join(n.name for n in neighbourhoods) or "(none yet)",
                },
            )
        if problem is None:
            key = households_store.address_key(street, number, box, postcode)
            if key in seen:
                problem = (
                    N_("this address already appears on line %(other)d"),
                    {"other": seen[key]},
                )
            else:
                seen[key] = line
        if problem is not None:
            problems.append(RegisterProblem(line, *problem))
            continue
        slug = by_key.get(neighbourhood.casefold()) or by_key[slugify(neighbourhood)]
        rows.append(AddressRow(line, street, number, box, postcode, municipality, slug))
    if not rows and not problems:
        problems.append(RegisterProblem(2, N_("The file has a header but no address."), {}))
    return rows, problems


class Register:
    """Use cases of the address register, for admins (web, API and command line)."""

    def __init__(
        self, db: Database, base_url: str, node_name: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._base_url = base_url
        self._node_name = node_name
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    async def create_neighbourhood(self, name: str) -> Neighbourhood:
        name = " ".join(name.split())
        if not 2 <= len(name) <= 80:
            raise InvalidInput({"name": N_("Give the neighbourhood a name of 2 to 80 characters.")})
        slug = slugify(name)
        if not slug:
            raise InvalidInput({"name": N_("The name needs at least one letter or digit.")})

        def create(conn):
            if neighbourhoods_store.get_neighbourhood_by_slug(conn, slug):
                raise Conflict(N_("A neighbourhood called %(name)s already exists."), name=name)
            return neighbourhoods_store.put_neighbourhood(conn, slug, name, self._now())

        return await self._db.write("create_neighbourhood", create)

    async def list_neighbourhoods(self) -> list[Neighbourhood]:
        return await self._db.read("list_neighbourhoods", neighbourhoods_store.list_neighbourhoods)

    async def neighbourhood_summaries(self) -> list[NeighbourhoodSummary]:
        return await self._db.read(
            "list_neighbourhood_summaries", neighbourhoods_store.list_neighbourhood_summaries
        )

    async def import_register(self, data: bytes) -> ImportResult:
        """Import a CSV register whole or not at all; re-importing the same file changes nothing."""

        def load(conn):
            neighbourhoods = neighbourhoods_store.list_neighbourhoods(conn)
            rows, problems = parse_register(data, neighbourhoods)
            if problems:
                raise InvalidRegister(problems)
            return households_store.import_addresses(
                conn,
                rows,
                neighbourhoods_store.slugs_to_ids(conn),
                invitation_codes.new_code,
                self._now(),
            )

        return await self._db.write("import_register", load)

    async def household_page(
        self, neighbourhood_id: int | None, search: str, page: int, per_page: int = 50
    ) -> tuple[list[HouseholdInvitation], int]:
        def query(conn):
            total = households_store.count_household_invitations(conn, neighbourhood_id, search)
            items = households_store.list_household_invitations(
                conn, neighbourhood_id, search, per_page, (page - 1) * per_page
            )
            return items, total

        return await self._db.read("household_page", query)

    async def revoke_code(self, household_id: int) -> None:
        def revoke(conn):
            if households_store.get_household_by_id(conn, household_id) is None:
                raise NotFound(N_("There is no household %(id)d."), id=household_id)
            households_store.revoke_invitation(conn, household_id, self._now())

        await self._db.write("revoke_code", revoke)

    async def reissue_code(self, household_id: int) -> str:
        """Revoke the household's code (if any) and give it a new one."""

        def reissue(conn):
            if households_store.get_household_by_id(conn, household_id) is None:
                raise NotFound(N_("There is no household %(id)d."), id=household_id)
            now = self._now()
            households_store.revoke_invitation(conn, household_id, now)
            return households_store.put_invitation(
                conn, household_id, invitation_codes.new_code, now
            )

        return await self._db.write("reissue_code", reissue)

    async def letters_pdf(
        self, neighbourhood_id: int | None, household_ids: list[int] | None = None
    ) -> bytes:
        """A printable PDF, one letter per household with a live code."""

        def query(conn):
            items = households_store.list_household_invitations(
                conn, neighbourhood_id, "", limit=1_000_000
            )
            return [
                item
                for item in items
                if item.code and (household_ids is None or item.household.id in household_ids)
            ]

        items = await self._db.read("letters_households", query)
        if not items:
            raise NotFound(N_("No household with a valid code to print a letter for."))
        letters = [
            InvitationLetter(
                household_label=item.household.street_line,
                postcode_and_municipality=(
                    f"{item.household.postcode} {item.household.municipality}"
                ),
                neighbourhood_name=item.neighbourhood_name,
                code=invitation_codes.format_code(item.code),
                signup_url=f"{self._base_url}/signup?code={item.code}",
            )
            for item in items
            if item.code
        ]
        try:
            return await asyncio.to_thread(
                render_invitation_letters, letters, self._node_name, self._base_url
            )
        except ValueError as exc:
            # e.g. an address with a character the letter's font cannot print
            raise CannotPrint(
                N_("The letters cannot be printed: %(reason)s"), reason=str(exc)
            ) from None
