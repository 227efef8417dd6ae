"""Resident pages about their own data: download it all, delete the account."""

from __future__ import annotations

ROUTES: tuple = ()
