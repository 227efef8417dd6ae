"""The node's domain records, as the storage layer returns them (never raw rows).

This module holds the foundation's records (accounts, the register); each other area keeps
its records in a sibling module (`node.models.posts`, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CITY_STAFF = "city_staff"
    MODERATOR = "moderator"
    RESIDENT = "resident"

    @property
    def belongs_to_neighbourhood(self) -> bool:
        """Residents and moderators live in a neighbourhood; admins and city staff do not."""
        return self in (Role.RESIDENT, Role.MODERATOR)


class UserStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # asked to join without a code; a moderator decides
    SUSPENDED = "suspended"
    DECLINED = "declined"


@dataclass(frozen=True)
class Neighbourhood:
    id: int
    slug: str
    name: str
    created_at: int


@dataclass(frozen=True)
class NeighbourhoodSummary:
    neighbourhood: Neighbourhood
    households: int
    residents: int


@dataclass(frozen=True)
class Household:
    id: int
    neighbourhood_id: int
    street: str
    number: str
    box: str
    postcode: str
    municipality: str

    @property
    def street_line(self) -> str:
        line = f"{self.street} {self.number}"
        return f"{line} bte {self.box}" if self.box else line


@dataclass(frozen=True)
class HouseholdInvitation:
    """A household with its active invitation code (None when revoked and not reissued)."""

    household: Household
    neighbourhood_name: str
    code: str | None
    residents: int


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str
    role: Role
    status: UserStatus
    neighbourhood_id: int | None
    household_id: int | None
    locale: str | None
    created_at: int
    password_hash: str = ""

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE


@dataclass(frozen=True)
class JoinRequest:
    id: int
    user: User
    neighbourhood_id: int
    neighbourhood_name: str
    address: str
    message: str
    created_at: int


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


@dataclass(frozen=True)
class AddressRow:
    """One valid line of an address register, ready to store."""

    line: int
    street: str
    number: str
    box: str
    postcode: str
    municipality: str
    neighbourhood_slug: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    codes_issued: int


@dataclass(frozen=True)
class OneTimeLink:
    id: int
    purpose: str
    user_id: int | None
