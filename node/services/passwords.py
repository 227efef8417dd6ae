"""Password hashing with argon2id. Hashing costs ~50 ms of CPU, so it runs off the event loop."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from node.errors import N_

MIN_LENGTH = 10
MAX_LENGTH = 1024

_hasher = PasswordHasher()  # immutable parameters, no state: safe to share between nodes


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check against when there is no account, so timing does not reveal it."""
    return _hasher.hash("not a real password, only here to spend the same time")


def password_problem(password: str) -> str | None:
    """Why a new password cannot be used, as a msgid; None when it can."""
    if len(password) < MIN_LENGTH:
        return N_("Use at least 10 characters. A short sentence is easy to remember.")
    if len(password) > MAX_LENGTH:
        return N_("Use at most 1024 characters.")
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
