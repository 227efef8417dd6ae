"""JSON API of messages, directory, helpers and notifications."""

from __future__ import annotations

from node.api.operations import Operation

OPERATIONS: tuple[Operation, ...] = ()
