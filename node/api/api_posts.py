"""JSON API of neighbourhood life: feed, posts, comments, reactions, help, events."""

from __future__ import annotations

from node.api.operations import Operation

OPERATIONS: tuple[Operation, ...] = ()
