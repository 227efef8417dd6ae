"""SQL for households (the address register) and their invitation codes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from node.models import AddressRow, Household, HouseholdInvitation, ImportResult


def address_key(street: str, number: str, box: str, postcode: str) -> str:
    """The identity of an address, insensitive to case and spacing, for idempotent imports."""

    def norm(value: str) -> str:
        return " ".join(value.casefold().split())

    return "|".join(norm(part) for part in (street, number, box, postcode))


def _household(row: sqlite3.Row) -> Household:
    return Household(
        id=row["id"],
        neighbourhood_id=row["neighbourhood_id"],
        street=row["street"],
        number=row["number"],
        box=row["box"],
        postcode=row["postcode"],
        municipality=row["municipality"],
    )


def get_household_by_id(conn: sqlite3.Connection, id: int) -> Household | None:
    row = conn.execute("SELECT * FROM households WHERE id = ?", (id,)).fetchone()
    return _household(row) if row else None


def count_households(conn: sqlite3.Connection, neighbourhood_id: int | None = None) -> int:
    if neighbourhood_id is None:
        return conn.execute("SELECT count(*) FROM households").fetchone()[0]
    return conn.execute(
        "SELECT count(*) FROM households WHERE neighbourhood_id = ?", (neighbourhood_id,)
    ).fetchone()[0]


def import_addresses(
    conn: sqlite3.Connection,
    rows: Iterable[AddressRow],
    neighbourhood_ids: dict[str, int],
    new_code: Callable[[], str],
    now: int,
) -> ImportResult:
    """Insert new addresses, move changed ones, and give every new household a code.

    Runs inside the caller's transaction: a failure anywhere leaves nothing behind.
    """
    created = updated = unchanged = codes = 0
    for row in rows:
        key = address_key(row.street, row.number, row.box, row.postcode)
        neighbourhood_id = neighbourhood_ids[row.neighbourhood_slug]
        existing = conn.execute(
            "SELECT id, neighbourhood_id, street, number, box, municipality "
            "FROM households WHERE address_key = ?",
            (key,),
        ).fetchone()
        if existing is None:
            cur = conn.execute(
                "INSERT INTO households (neighbourhood_id, street, number, box, postcode,"
                " municipality, address_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    neighbourhood_id,
                    row.street,
                    row.number,
                    row.box,
                    row.postcode,
                    row.municipality,
                    key,
                    now,
                ),
            )
            put_invitation(conn, cur.lastrowid, new_code, now)
            created += 1
            codes += 1
        elif (
            existing["neighbourhood_id"],
            existing["street"],
            existing["number"],
            existing["box"],
            existing["municipality"],
        ) != (neighbourhood_id, row.street, row.number, row.box, row.municipality):
            conn.execute(
                "UPDATE households SET neighbourhood_id = ?, street = ?, number = ?, box = ?,"
                " municipality = ? WHERE id = ?",
                (
                    neighbourhood_id,
                    row.street,
                    row.number,
                    row.box,
                    row.municipality,
                    existing["id"],
                ),
            )
            updated += 1
        else:
            unchanged += 1
    return ImportResult(created=created, updated=updated, unchanged=unchanged, codes_issued=codes)


def put_invitation(
    conn: sqlite3.Connection, household_id: int, new_code: Callable[[], str], now: int
) -> str:
    """Give a household a fresh code. Collisions are astronomically rare; retry on one anyway."""
    for _ in range(5):
        code = new_code()
        try:
            conn.execute(
                "INSERT INTO invitations (household_id, code, created_at) VALUES (?, ?, ?)",
                (household_id, code, now),
            )
            return code
        except sqlite3.IntegrityError as exc:
            if "invitations.code" not in str(exc):
                raise
    raise RuntimeError("could not draw a unique invitation code")


def revoke_invitation(conn: sqlite3.Connection, household_id: int, now: int) -> bool:
    cur = conn.execute(
        "UPDATE invitations SET revoked_at = ? WHERE household_id = ? AND revoked_at IS NULL",
        (now, household_id),
    )
    return cur.rowcount > 0


def get_household_by_active_code(conn: sqlite3.Connection, code: str) -> Household | None:
    row = conn.execute(
        "SELECT h.* FROM invitations i JOIN households h ON h.id = i.household_id"
        " WHERE i.code = ? AND i.revoked_at IS NULL",
        (code,),
    ).fetchone()
    return _household(row) if row else None


def is_revoked_code(conn: sqlite3.Connection, code: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM invitations WHERE code = ? AND revoked_at IS NOT NULL", (code,)
    ).fetchone()
    return row is not None


_INVITATION_SELECT = """
    SELECT h.*, n.name AS neighbourhood_name, i.code,
           (SELECT count(*) FROM users u WHERE u.household_id = h.id) AS residents
    FROM households h
    JOIN neighbourhoods n ON n.id = h.neighbourhood_id
    LEFT JOIN invitations i ON i.household_id = h.id AND i.revoked_at IS NULL
"""


def _household_invitation(row: sqlite3.Row) -> HouseholdInvitation:
    return HouseholdInvitation(
        household=_household(row),
        neighbourhood_name=row["neighbourhood_name"],
        code=row["code"],
        residents=row["residents"],
    )


def list_household_invitations(
    conn: sqlite3.Connection,
    neighbourhood_id: int | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[HouseholdInvitation]:
    where, params = _filters(neighbourhood_id, search)
    rows = conn.execute(
        f"{_INVITATION_SELECT} {where}"
        " ORDER BY n.name COLLATE NOCASE, h.street COLLATE NOCASE,"
        " CAST(h.number AS INTEGER), h.number, h.box LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [_household_invitation(row) for row in rows]


def count_household_invitations(
    conn: sqlite3.Connection, neighbourhood_id: int | None = None, search: str = ""
) -> int:
    where, params = _filters(neighbourhood_id, search)
    return conn.execute(f"SELECT count(*) FROM households h {where}", params).fetchone()[0]


def get_household_invitation(
    conn: sqlite3.Connection, household_id: int
) -> HouseholdInvitation | None:
    row = conn.execute(f"{_INVITATION_SELECT} WHERE h.id = ?", (household_id,)).fetchone()
    return _household_invitation(row) if row else None


def _filters(neighbourhood_id: int | None, search: str) -> tuple[str, tuple]:
    clauses, params = [], []
    if neighbourhood_id is not None:
        clauses.append("h.neighbourhood_id = ?")
        params.append(neighbourhood_id)
    if search:
        clauses.append("(h.street LIKE ? ESCAPE '\\' OR h.postcode = ?)")
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([f"%{escaped}%", search])
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)
