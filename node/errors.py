"""One family of errors: each has an HTTP status, a stable code and a message safe to show.

Messages are English msgids (marked with `N_` so Babel extracts them) with %-style
parameters; the web layer translates them for the reader, the API sends them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (gettext's convention)."""
    return message


class Amount(int):
    """A number in a message that the reader sees written their way (4,000 · 4 000 · 4.000),
    as pages write every amount; the API's English text keeps the plain digits."""


class QuartierError(Exception):
    status = 400
    code = "bad-request"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class InvalidInput(QuartierError):
    """One or more fields are wrong. `fields` maps a field name to its (msgid, params)."""

    status = 422
    code = "invalid-input"

    def __init__(self, fields: Mapping[str, str | tuple[str, dict[str, Any]]]) -> None:
        self.fields = {
            name: (value if isinstance(value, tuple) else (value, {}))
            for name, value in fields.items()
        }
        first_name, (first_message, first_params) = next(iter(self.fields.items()))
        super().__init__(N_("Some fields need correcting."))
        self.detail = (
            f"{first_name}: {first_message % first_params if first_params else first_message}"
        )


class Unauthorized(QuartierError):
    status = 401
    code = "unauthorized"


class Forbidden(QuartierError):
    status = 403
    code = "forbidden"


class NotFound(QuartierError):
    status = 404
    code = "not-found"


class Conflict(QuartierError):
    status = 409
    code = "conflict"


class PayloadTooLarge(QuartierError):
    status = 413
    code = "payload-too-large"


class TooManyRequests(QuartierError):
    status = 429
    code = "too-many-requests"

    def __init__(self, message: str, retry_after: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
