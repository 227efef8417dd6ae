"""The JSON API as a script sees it: every operation, checked against the OpenAPI document
the node itself serves, and errors as problem+json naming what was wrong."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pypdf import PdfReader

from node.api.json_api import OPERATIONS
from node.models import Role
from node.services.accounts import NewAccount
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.conftest import PASSWORD, register_csv

PROBLEM_JSON = "application/problem+json"


class Api:
    """A script with a token; every answer is checked against the served OpenAPI document."""

    def __init__(self, node, doc: dict, headers: dict[str, str]) -> None:
        self.node = node
        self.doc = doc
        self.headers = headers
        self.exercised: set[tuple[str, str]] = set()
        self.violations: list[str] = []

    async def call(
        self, method: str, template: str, expect: int, ids: dict | None = None, **kwargs: Any
    ):
        path = template.format(**(ids or {}))
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = await self.node.client.request(
            method, path, headers=headers, allow_redirects=False, **kwargs
        )
        body = await response.read()
        self.exercised.add((method, template))
        assert response.status == expect, f"{method} {path}: {response.status} {body[:300]!r}"
        self._check(method, template, response, body)
        return response

    def _check(self, method: str, template: str, response, body: bytes) -> None:
        where = f"{method} {template} -> {response.status}"
        operation = self.doc["paths"].get(template, {}).get(method.lower())
        if operation is None:
            self.violations.append(f"{where}: the operation is not in the OpenAPI document")
            return
        documented = operation["responses"].get(str(response.status))
        if documented is None:
            self.violations.append(f"{where}: this status is not documented")
            return
        if response.status == 204:
            if body:
                self.violations.append(f"{where}: a 204 answer has a body")
            return
        content = documented.get("content", {})
        if response.content_type not in content:
            self.violations.append(
                f"{where}: {response.content_type} is not among {sorted(content)}"
            )
            return
        if response.content_type == "application/pdf":
            PdfReader(io.BytesIO(body))  # raises if it is not a PDF
            return
        schema = content[response.content_type]["schema"]
        validator = Draft202012Validator({**schema, "components": self.doc["components"]})
        for error in validator.iter_errors(json.loads(body)):
            self.violations.append(f"{where}: {error.message}")


@pytest.fixture
async def openapi(node) -> dict:
    response = await node.client.get("/api/v1/openapi.json")
    assert response.status == 200
    return await response.json()


@pytest.fixture
async def admin(node):
    return await node.user(Role.ADMIN, "admin@example.org")


@pytest.fixture
async def api(node, openapi, admin) -> Api:
    return Api(node, openapi, await node.api_token(admin))


def test_the_document_declares_every_operation_and_valid_schemas():
    # Given the document as the node builds it
    from node.api.openapi import build_openapi
    from node.schema_registry import SchemaRegistry

    doc = build_openapi(SchemaRegistry(), "test")

    # Then every operation is in it, with its success status, and every schema is valid
    for op in OPERATIONS:
        operation = doc["paths"][op.path][op.method.lower()]
        assert str(op.status) in operation["responses"], op.path
        assert operation["x-access"] == op.access.description
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


async def test_every_operation_answers_as_its_openapi_document_says(node, api, admin):
    # Given an admin's token, and someone waiting to join a neighbourhood
    # When a script goes through every operation of the API
    created = await api.call("POST", "/api/v1/neighbourhoods", 201, json={"name": "Centre"})
    centre = await created.json()
    assert centre["slug"] == "centre"
    await api.call("POST", "/api/v1/neighbourhoods", 201, json={"name": "Nimy"})

    imported = await api.call(
        "POST",
        "/api/v1/addresses",
        200,
        data=register_csv(
            [
                ("Grand-Place", "1", "", "7000", "Mons", "centre"),
                ("Grand-Place", "2", "", "7000", "Mons", "centre"),
                ("Rue de Nimy", "12", "", "7000", "Mons", "nimy"),
            ]
        ),
        headers={"Content-Type": "text/csv"},
    )
    assert await imported.json() == {"created": 3, "updated": 0, "unchanged": 0, "codes_issued": 3}

    listed = await api.call("GET", "/api/v1/neighbourhoods", 200)
    assert {(n["name"], n["households"]) for n in await listed.json()} == {
        ("Centre", 2),
        ("Nimy", 1),
    }

    households = await api.call(
        "GET", "/api/v1/households", 200, params={"neighbourhood": centre["id"]}
    )
    assert households.headers["X-Total-Count"] == "2"
    first = (await households.json())[0]
    assert first["code"]

    reissued = await api.call("POST", "/api/v1/households/{id}/code", 201, ids={"id": first["id"]})
    new_code = (await reissued.json())["code"]
    assert new_code != first["code"]
    await api.call("DELETE", "/api/v1/households/{id}/code", 204, ids={"id": first["id"]})
    after = await (await api.call("GET", "/api/v1/households", 200, params={"q": "Grand"})).json()
    assert [h["code"] for h in after if h["id"] == first["id"]] == [None]

    letters = await api.call("GET", "/api/v1/letters", 200)
    assert len(PdfReader(io.BytesIO(await letters.read())).pages) == 2  # one code was revoked

    user = await api.call(
        "POST",
        "/api/v1/users",
        201,
        json={
            "email": "mod@example.org",
            "display_name": "Moderator",
            "role": "moderator",
            "neighbourhood": "centre",
        },
    )
    assert (await user.json())["password_link"].startswith(node.config.base_url + "/reset/")

    me = await api.call("GET", "/api/v1/me", 200)
    assert (await me.json())["email"] == admin.email

    token = await api.call("POST", "/api/v1/tokens", 201, json={"name": "nightly export"})
    token_body = await token.json()
    assert token_body["secret"].startswith("qt_")
    tokens = await api.call("GET", "/api/v1/tokens", 200)
    assert "secret" not in str(await tokens.json())
    await api.call("DELETE", "/api/v1/tokens/{id}", 204, ids={"id": token_body["id"]})

    await node.accounts.request_to_join(
        centre["id"],
        "Grand-Place 9, 7000 Mons",
        "",
        NewAccount("newcomer@example.org", "Newcomer", PASSWORD),
        PASSWORD,
    )
    requests = await api.call("GET", "/api/v1/join-requests", 200)
    (request,) = await requests.json()
    assert request["user"]["status"] == "pending"
    decided = await api.call(
        "POST",
        "/api/v1/join-requests/{id}",
        200,
        ids={"id": request["id"]},
        json={"decision": "approve"},
    )
    assert (await decided.json())["status"] == "active"

    # Then every operation was tried, and every answer matched the document
    assert api.exercised == {(op.method, op.path) for op in OPERATIONS}
    assert api.violations == []


async def test_a_revoked_token_no_longer_opens_the_api(node, api):
    # Given a token created and then revoked through the API
    created = await (
        await api.call("POST", "/api/v1/tokens", 201, json={"name": "short-lived"})
    ).json()
    await api.call("DELETE", "/api/v1/tokens/{id}", 204, ids={"id": created["id"]})

    # When a script uses it
    response = await node.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {created['secret']}"}
    )

    # Then it is refused with a problem saying why
    assert response.status == 401
    assert response.content_type == PROBLEM_JSON
    assert "revoked" in (await response.json())["detail"]


async def test_someone_elses_token_cannot_be_revoked(node, api):
    # Given a token of another account
    staff = await node.user(Role.CITY_STAFF, "staff@example.org")
    other, _ = await node.accounts.create_api_token(staff, "theirs")

    # When the admin tries to revoke it
    await api.call("DELETE", "/api/v1/tokens/{id}", 404, ids={"id": other.id})

    # Then it is still live
    assert [t.revoked_at for t in await node.accounts.api_tokens(staff)] == [None]
    assert api.violations == []


async def _problem(response) -> dict:
    assert response.content_type == PROBLEM_JSON
    return await response.json()


async def test_a_body_that_is_not_json_is_a_problem_naming_the_body(node, api):
    response = await api.call(
        "POST",
        "/api/v1/neighbourhoods",
        422,
        data=b'{"name": "Centre"',
        headers={"Content-Type": "application/json"},
    )

    problem = await _problem(response)
    assert problem["status"] == 422
    assert problem["errors"][0]["field"] == "(body)"
    assert problem["errors"][0]["message"].startswith("The body is not valid JSON")
    assert await node.register.list_neighbourhoods() == []
    assert api.violations == []


async def test_a_form_body_is_a_problem_asking_for_json(node, api):
    response = await api.call("POST", "/api/v1/neighbourhoods", 422, data={"name": "Centre"})

    problem = await _problem(response)
    assert problem["errors"] == [
        {
            "field": "(body)",
            "message": "Send a JSON body with Content-Type: application/json.",
        }
    ]


async def test_a_body_against_the_schema_is_a_problem_naming_the_field(node, api):
    # When a script sends bodies that break the schema in different ways
    for body, field in [
        ({}, "name"),
        ({"name": 12}, "name"),
        ({"name": "C"}, "name"),
        ({"name": "Centre", "colour": "blue"}, "colour"),
    ]:
        response = await api.call("POST", "/api/v1/neighbourhoods", 422, json=body)

        # Then each problem names the field
        problem = await _problem(response)
        assert problem["errors"][0]["field"] == field, body
        assert problem["detail"].startswith(f"{field}: "), body

    # And nothing is created
    assert await node.register.list_neighbourhoods() == []
    assert api.violations == []


async def test_an_unknown_role_is_a_problem_naming_the_role(node, api):
    response = await api.call(
        "POST",
        "/api/v1/users",
        422,
        json={"email": "mayor@mons.be", "display_name": "Mayor", "role": "mayor"},
    )

    assert (await _problem(response))["errors"][0]["field"] == "role"
    assert await node.accounts.user_by_email("mayor@mons.be") is None


async def test_a_duplicate_neighbourhood_is_a_documented_conflict(node, api):
    # Given a neighbourhood Centre
    await api.call("POST", "/api/v1/neighbourhoods", 201, json={"name": "Centre"})

    # When a script creates it again
    response = await api.call("POST", "/api/v1/neighbourhoods", 409, json={"name": "Centre"})

    # Then the problem says it exists, and the document lists that answer
    assert "already exists" in (await _problem(response))["detail"]
    assert api.violations == []


async def test_a_bad_register_is_a_problem_listing_its_lines(node, api):
    # Given a register whose line 3 has a bad postcode
    await node.register.create_neighbourhood("Centre")
    csv = register_csv(
        [
            ("Grand-Place", "1", "", "7000", "Mons", "centre"),
            ("Grand-Place", "2", "", "70", "Mons", "centre"),
        ]
    )

    # When a script imports it
    response = await api.call(
        "POST", "/api/v1/addresses", 422, data=csv, headers={"Content-Type": "text/csv"}
    )

    # Then the problem lists the line, and nothing is imported
    problem = await _problem(response)
    assert problem["errors"] == [{"line": 3, "message": "postcode '70' is not a postcode"}]
    assert (await node.register.household_page(None, "", 1))[1] == 0
    assert api.violations == []


async def test_a_query_parameter_that_is_not_a_number_is_a_problem(node, api):
    # "²" passes str.isdigit() but is no number int() can read
    answers = {}
    for page in ["two", "-1", "1.5", "²"]:
        response = await node.client.get(
            "/api/v1/households", params={"page": page}, headers=api.headers
        )
        body = await response.json()
        answers[page] = (response.status, [e.get("field") for e in body.get("errors", [])])

    assert answers == {page: (422, ["page"]) for page in answers}


async def test_a_page_far_beyond_the_last_is_empty_not_an_error(node, api):
    response = await node.client.get(
        "/api/v1/households", params={"page": "9" * 25}, headers=api.headers
    )

    assert response.status in (200, 422), await response.text()
    if response.status == 200:
        assert await response.json() == []


async def test_unknown_ids_are_not_found_problems(node, api):
    # An id past SQLite's 64-bit integers still names nothing: not found, not a crash.
    for missing in (999, 10**25):
        ids = {"id": missing}
        await api.call("DELETE", "/api/v1/households/{id}/code", 404, ids=ids)
        await api.call("POST", "/api/v1/households/{id}/code", 404, ids=ids)
        await api.call("DELETE", "/api/v1/tokens/{id}", 404, ids=ids)
        await api.call(
            "POST", "/api/v1/join-requests/{id}", 404, ids=ids, json={"decision": "approve"}
        )
    assert api.violations == []


async def test_an_unknown_path_and_an_unknown_token_are_problems(node):
    missing = await node.client.get("/api/v1/nothing-here")
    stranger = await node.client.get("/api/v1/me", headers={"Authorization": "Bearer qt_nope"})

    assert missing.status == 404
    assert (await _problem(missing))["status"] == 404
    assert stranger.status == 401
    assert (await _problem(stranger))["status"] == 401
