"""Schema migrations, recorded in the database itself (sqlite-utils `Migrations`).

APPEND-ONLY: never edit, rename or reorder a migration once it has shipped; add a new one.
A database that has applied a migration this code does not know was written by a newer
Quartier, and we refuse to start on it rather than guess.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

from node.storage.database import DatabaseError

MIGRATION_SET = "quartier"
migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_foundation")
def _foundation(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE neighbourhoods (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );

        -- One row per address in the municipal register: a household.
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            street TEXT NOT NULL,
            number TEXT NOT NULL,
            box TEXT NOT NULL DEFAULT '',
            postcode TEXT NOT NULL,
            municipality TEXT NOT NULL,
            -- normalised street|number|box|postcode: a re-import updates, never duplicates
            address_key TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX households_by_neighbourhood ON households(neighbourhood_id, street, number);

        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
            code TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE UNIQUE INDEX invitations_one_active_per_household
            ON invitations(household_id) WHERE revoked_at IS NULL;

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL
                CHECK (role IN ('admin', 'city_staff', 'moderator', 'resident')),
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'pending', 'suspended', 'declined')),
            neighbourhood_id INTEGER REFERENCES neighbourhoods(id),
            household_id INTEGER REFERENCES households(id),
            locale TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX users_by_neighbourhood ON users(neighbourhood_id, status);
        CREATE INDEX users_by_household ON users(household_id);

        -- A resident without an invitation code asks to join; a moderator decides.
        CREATE TABLE join_requests (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
            neighbourhood_id INTEGER NOT NULL REFERENCES neighbourhoods(id),
            address TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            decided_by INTEGER REFERENCES users(id),
            decision TEXT CHECK (decision IN ('approved', 'declined'))
        );
        CREATE INDEX join_requests_open ON join_requests(neighbourhood_id) WHERE decided_at IS NULL;

        -- Only hashes of secrets are stored: a copy of the database opens no session.
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );

        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER
        );

        CREATE TABLE one_time_links (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'reset')),
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        );
        """
    )


def known_migration_names() -> list[str]:
    return [m.name for m in migrations._migrations]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Bring the schema up to date; return the names applied. Refuses a newer database."""
    db = sqlite_utils.Database(conn)
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in known_migration_names()]
    if unknown:
        raise DatabaseError(
            f"this database was upgraded by a newer version of Quartier (it has migration "
            f"{unknown[0]!r}, which this version does not know). Install that version again, "
            "or restore a backup taken before the upgrade."
        )
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
