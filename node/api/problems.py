"""RFC 9457 problem details: how the API (and federation endpoints) report errors."""

from __future__ import annotations

import json

from aiohttp import web

from node.errors import InvalidInput, QuartierError, TooManyRequests

PROBLEM_JSON = "application/problem+json"


def wants_problem_json(request: web.Request) -> bool:
    """API and federation clients get problem+json; browsers get a page."""
    if request.path.startswith(("/api/", "/.well-known/", "/nodeinfo", "/healthz")):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def problem_response(
    status: int, code: str, detail: str, error: QuartierError | None = None
) -> web.Response:
    body: dict = {
        "type": f"urn:quartier:problem:{code}",
        "title": code.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    headers = {}
    if isinstance(error, InvalidInput):
        body["detail"] = error.detail
        body["errors"] = [
            {"field": name, "message": message % params if params else message}
            for name, (message, params) in error.fields.items()
        ]
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    problems = getattr(error, "problems", None)
    if problems is not None:
        body["errors"] = [
            {"line": p.line, "message": p.message % p.params if p.params else p.message}
            for p in problems
        ]
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type=PROBLEM_JSON,
        headers=headers,
    )
