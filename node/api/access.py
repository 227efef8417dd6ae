"""Who may call a route. Every route declares a rule; a route without one is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from node.models import Role

ACCESS_ATTRIBUTE = "quartier_access"


@dataclass(frozen=True)
class Access:
    """`roles` None: anyone, signed in or not. Otherwise a signed-in user with one of the roles."""

    roles: frozenset[Role] | None
    description: str

    def allows(self, role: Role | None) -> bool:
        return self.roles is None or (role is not None and role in self.roles)


PUBLIC = Access(None, "anyone")
SIGNED_IN = Access(frozenset(Role), "any signed-in account")
ADMIN = Access(frozenset({Role.ADMIN}), "admins")
MODERATORS = Access(frozenset({Role.ADMIN, Role.MODERATOR}), "moderators and admins")
RESIDENTS = Access(frozenset({Role.RESIDENT, Role.MODERATOR}), "residents and moderators")
CITY = Access(frozenset({Role.CITY_STAFF, Role.ADMIN}), "city staff and admins")


def access(rule: Access) -> Callable[[Any], Any]:
    """Attach an access rule to a handler."""

    def mark(handler: Any) -> Any:
        setattr(handler, ACCESS_ATTRIBUTE, rule)
        return handler

    return mark


def rule_of(handler: Any) -> Access | None:
    return getattr(handler, ACCESS_ATTRIBUTE, None)
