"""How a JSON API operation is declared: route, access, schemas. The OpenAPI document and
the router are both built from these declarations, so the two cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from node.api.access import Access
from node.api.app_keys import SCHEMAS
from node.errors import N_, InvalidInput


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    request_schema: str | None = None  # name under schemas/, e.g. "api/user-create"
    request_type: str = "application/json"
    response_schema: str | None = None
    response_is_list: bool = False
    status: int = 200
    response_type: str = "application/json"
    query: tuple[tuple[str, str, str], ...] = ()  # (name, JSON type, description)

    @property
    def access(self) -> Access:
        return self.handler.quartier_access  # type: ignore[attr-defined]


async def json_body(request: web.Request, schema: str) -> dict:
    """The request's JSON body, validated against `schemas/<schema>.json`."""
    if request.content_type != "application/json":
        raise InvalidInput({"(body)": N_("Send a JSON body with Content-Type: application/json.")})
    try:
        body = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            {"(body)": ("The body is not valid JSON: %(reason)s", {"reason": str(exc)})}
        ) from None
    request.app[SCHEMAS].validate(schema, body)
    return body
