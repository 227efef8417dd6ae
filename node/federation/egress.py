"""The egress guard: the one place every outgoing activity, and every local object a remote
server fetches, must pass. Only what DESIGN.md's table allows may leave the node:

- activities of the node's institutional actors (instance, city, neighbourhood groups) —
  never of a resident, who is not an actor at all;
- of the types below, and for objects, only objects published from city content
  (`ALLOWED_SOURCES`), recorded as such when they were made, or sent to one city and never
  fetchable (`SEND_ONLY_SOURCES`: aggregates, and initiatives their neighbours chose to send,
  without a name).

Resident posts, comments, reactions, messages and profiles have no code path that builds an
activity; this guard is the wall behind that: if some future code tried, it stops here.
"""

from __future__ import annotations

from typing import Any

from node.federation.actors import LocalActors

# Quartier's extension objects (docs/federation.md): city -> neighbourhoods, and the
# aggregates and initiatives neighbourhoods send back to the city.
EXTENSION_OBJECTS = frozenset(
    {
        "quartier:VolunteerCall",
        "quartier:Budget",
        "quartier:InitiativeAnswer",
        "quartier:Report",
        "quartier:Initiative",
    }
)
CONTENT_OBJECTS = frozenset({"Note", "Event", "Question"}) | EXTENSION_OBJECTS
ALLOWED_ACTIVITIES = {
    "Create": CONTENT_OBJECTS,
    "Update": CONTENT_OBJECTS | {"Application", "Organization", "Group"},
    "Delete": frozenset({"Tombstone"}),
    "Follow": frozenset(),
    "Accept": frozenset({"Follow"}),
    "Reject": frozenset({"Follow"}),
    "Undo": frozenset({"Follow"}),
}
# Where a published object may come from: city content only.
ALLOWED_SOURCES = frozenset(
    {
        "announcement",
        "event",
        "survey",
        "volunteer_call",
        "budget",
        "actor",
    }
)
# Sent, never fetchable: aggregates and initiatives are addressed to one city only.
SEND_ONLY_SOURCES = frozenset({"report", "initiative", "initiative_answer"})


class EgressRefused(RuntimeError):
    """Something tried to leave the node that must not; a bug, never a user error."""


class EgressGuard:
    def __init__(self, actors: LocalActors) -> None:
        self._actors = actors

    def check_activity(self, activity: dict[str, Any], source: str) -> None:
        kind = activity.get("type")
        if kind not in ALLOWED_ACTIVITIES:
            raise EgressRefused(f"activity type {kind!r} may not leave the node")
        actor = activity.get("actor")
        if not isinstance(actor, str) or not self._actors.is_institutional(actor):
            raise EgressRefused(f"{actor!r} is not an institutional actor of this node")
        if source not in ALLOWED_SOURCES | SEND_ONLY_SOURCES and source not in ("follow", "policy"):
            raise EgressRefused(f"content from {source!r} may not leave the node")
        obj = activity.get("object")
        allowed_objects = ALLOWED_ACTIVITIES[kind]
        if isinstance(obj, dict):
            object_type = obj.get("type")
            if object_type not in allowed_objects:
                raise EgressRefused(f"{kind} of a {object_type!r} may not leave the node")
            attributed = obj.get("attributedTo")
            if object_type in CONTENT_OBJECTS and not (
                isinstance(attributed, str) and self._actors.is_institutional(attributed)
            ):
                raise EgressRefused(f"object attributed to {attributed!r}, not to our actor")
            object_id = obj.get("id", "")
            if self._actors.is_local(object_id) and not self._is_publishable_uri(object_id):
                raise EgressRefused(f"object {object_id!r} is not a published object")

    def _is_publishable_uri(self, uri: str) -> bool:
        base = self._actors.base_url
        return uri.startswith(
            (f"{base}/ap/objects/", f"{base}/ap/activities/")
        ) or self._actors.is_institutional(uri)

    def check_fetch(self, source: str | None) -> bool:
        """May a remote server fetch this local object? Only published city content."""
        return source in ALLOWED_SOURCES
