"""Household invitation codes: unguessable, short enough to type, hard to misread.

Ten symbols from an alphabet without 0/O, 1/I/L and U: 30^10 ≈ 5.9e14 codes (49 bits), so
even a whole city's worth of live codes cannot be found by guessing at the rate sign-up allows.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_SEPARATORS = str.maketrans("", "", " -_.")


def new_code() -> str:
    """Draw a code as stored: upper case, no separator."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """How a code is printed and shown: two groups of five, e.g. 'K7QM4-XRT9P'."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(typed: str) -> str | None:
    """What a person typed, as stored; None when it cannot be a code at all."""
    code = typed.translate(_SEPARATORS).upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code
