"""JSON API of moderation and of a resident's own data."""

from __future__ import annotations

from node.api.operations import Operation

OPERATIONS: tuple[Operation, ...] = ()
