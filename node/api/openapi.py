"""The OpenAPI 3.1 document of /api/v1, built from the operations' own declarations."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.api.access import PUBLIC, access
from node.api.api_index import ALL_OPERATIONS
from node.api.app_keys import SCHEMAS
from node.schema_registry import SchemaRegistry

_PROBLEM = {"$ref": "#/components/schemas/problem"}


def _component_name(schema: str) -> str:
    return schema.split("/")[-1]


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$schema"}


def build_openapi(registry: SchemaRegistry, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {"problem": _strip(registry.load("api/problem"))}
    paths: dict[str, Any] = {}
    for op in ALL_OPERATIONS:
        responses: dict[str, Any] = {}
        if op.response_type == "application/json" and op.response_schema:
            name = _component_name(op.response_schema)
            components[name] = _strip(registry.load(op.response_schema))
            ref: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
            if op.response_is_list:
                ref = {"type": "array", "items": ref}
            responses[str(op.status)] = {
                "description": op.summary,
                "content": {"application/json": {"schema": ref}},
            }
        elif op.response_type != "application/json":  # a file: the letters' PDF, a photo
            responses[str(op.status)] = {
                "description": op.summary,
                "content": {op.response_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        elif op.status == 204:
            responses["204"] = {"description": op.summary}
        else:
            responses[str(op.status)] = {
                "description": op.summary,
                "content": {"application/json": {"schema": {}}},
            }
        for status, text in (
            ("401", "No valid token"),
            ("403", "Not allowed for this role"),
            ("404", "Not found"),
            ("409", "Conflicts with what exists"),
            ("422", "Invalid input"),
            ("429", "Too many requests"),
        ):
            responses[status] = {
                "description": text,
                "content": {"application/problem+json": {"schema": _PROBLEM}},
            }
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": op.handler.__name__,
            "responses": responses,
            "security": [{"bearer": []}],
            "x-access": op.access.description,
        }
        parameters = (
            [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
            if "{id}" in op.path
            else []
        )
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": kind},
                "description": text,
            }
            for name, kind, text in op.query
        ]
        if parameters:
            operation["parameters"] = parameters
        if op.request_schema:
            name = _component_name(op.request_schema)
            components[name] = _strip(registry.load(op.request_schema))
            operation["requestBody"] = {
                "required": True,
                "content": {op.request_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
            }
        elif op.request_type != "application/json":  # a file: the CSV register, a photo
            body: dict[str, Any] = {"type": "string"}
            if not op.request_type.startswith("text/"):
                body["format"] = "binary"
            operation["requestBody"] = {
                "required": True,
                "content": {op.request_type: {"schema": body}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Quartier node API",
            "version": version,
            "description": "Scripts authenticate with `Authorization: Bearer <token>`; create a "
            "token on the account page or with `quartier admin token`. Errors are "
            "application/problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@access(PUBLIC)
async def openapi_get(request: web.Request) -> web.Response:
    from node import __version__

    return web.json_response(build_openapi(request.app[SCHEMAS], __version__))
