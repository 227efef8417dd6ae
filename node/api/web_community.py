"""Resident pages: direct messages, the neighbour directory, helpers and volunteers,
notifications and their settings."""

from __future__ import annotations

ROUTES: tuple = ()
