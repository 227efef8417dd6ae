"""Schemathesis against the node's own `/api/v1/openapi.json`: for every operation, requests
generated from the document (fitting it, and deliberately not), sent over real HTTP to a live
node, once with a resident's token and once with a city staff member's. No answer may be a
server error, and every answer must be one the document declares: its status, its content
type and its body's schema.

Schemathesis (and Hypothesis under it) runs in a worker thread with a blocking HTTP client;
the test's event loop serves the node meanwhile. Cases are derandomized, so CI sends the same
requests on every run."""

from __future__ import annotations

import asyncio
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, assume, given, settings
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from node.api.api_index import ALL_OPERATIONS
from node.api.app_keys import ACCOUNTS, ANNOUNCEMENTS, REGISTER
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.services.announcements import AnnouncementDraft
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.conftest import PASSWORD
from tests.federation.conftest import free_port

# Cases per operation and token: this many fitting the document, and this many not.
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 12
SEEDED_EXAMPLES = 8  # and, for operations on an id, this many on an object that exists
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class LiveNode:
    base_url: str
    tokens: dict[str, tuple[int, str]]  # role name -> (token id, bearer secret)
    spare_tokens: dict[str, int]  # role name -> id of another token of theirs, to revoke


@dataclass
class Run:
    """What one token's pass over the API found."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    cases: int = 0
    documented: set[str] = field(default_factory=set)  # every operation of the document
    exercised: set[str] = field(default_factory=set)  # those that got at least one request


@pytest.fixture
async def live_node(tmp_path: Path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    init_node(tmp_path / "node", base_url, "Testville")
    config = load_config(tmp_path / "node", env={"QUARTIER_CITY_ENABLED": "true"})
    server = TestServer(create_app(config), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        app = server.app
        accounts = app[ACCOUNTS]
        await app[REGISTER].create_neighbourhood("Centre")
        await app[REGISTER].create_neighbourhood("Nimy")
        resident = await accounts.create_user(
            "anne@example.org", "Anne", Role.RESIDENT, "centre", PASSWORD
        )
        staff = await accounts.create_user(
            "staff@example.org", "Staff", Role.CITY_STAFF, None, PASSWORD
        )
        tokens = {}
        for role, user in (("resident", resident), ("city staff", staff)):
            token, secret = await accounts.create_api_token(user, "schemathesis")
            tokens[role] = (token.id, secret)
        spare = {
            role: (await accounts.create_api_token(user, "spare"))[0].id
            for role, user in (("resident", resident), ("city staff", staff))
        }
        await seed(base_url, tokens, app, staff)
        yield LiveNode(base_url, tokens, spare)
    finally:
        await server.close()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


async def seed(base_url: str, tokens: dict[str, tuple[int, str]], app, staff) -> None:
    """A little of everything, so that small ids lead somewhere and not only to 404."""
    await app[ANNOUNCEMENTS].publish(
        staff, AnnouncementDraft("Road works", "From Monday.", all_neighbourhoods=True)
    )
    soon, later = int(time.time()) + 86_400, int(time.time()) + 30 * 86_400
    calls = [
        (
            "resident",
            "/api/v1/posts",
            {"category": "help_request", "title": "A ladder", "body": "."},
        ),
        ("resident", "/api/v1/posts", {"category": "general", "title": "Hello", "body": "Hi."}),
        ("resident", "/api/v1/posts/1/comments", {"body": "I have one."}),
        ("resident", "/api/v1/initiatives", {"title": "Benches", "body": "Benches " * 5}),
        (
            "city staff",
            "/api/v1/city/surveys",
            {
                "title": "Our square",
                "closes_at": later,
                "all_neighbourhoods": True,
                "questions": [
                    {"text": "Which day?", "kind": "single", "options": ["Sat", "Sun"]},
                    {"text": "Ideas?", "kind": "text", "shared": True},
                ],
            },
        ),
        (
            "city staff",
            "/api/v1/city/events",
            {
                "title": "Workshop",
                "location": "Town hall",
                "starts_at": soon,
                "all_neighbourhoods": True,
            },
        ),
        (
            "city staff",
            "/api/v1/city/volunteer-calls",
            {"title": "Flood relief", "description": "Sorting.", "all_neighbourhoods": True},
        ),
        (
            "city staff",
            "/api/v1/city/budgets",
            {
                "title": "Budget 2027",
                "description": "Share it.",
                "amount": 1000,
                "closes_at": later,
                "all_neighbourhoods": True,
                "projects": [{"name": "Benches", "cost": 600}, {"name": "Trees", "cost": 700}],
            },
        ),
    ]
    async with aiohttp.ClientSession(base_url) as http:
        for role, path, body in calls:
            headers = {"Authorization": f"Bearer {tokens[role][1]}"}
            async with http.post(path, json=body, headers=headers) as response:
                assert response.status == 201, (path, await response.text())
        headers = {"Authorization": f"Bearer {tokens['resident'][1]}", "Content-Type": "image/jpeg"}
        async with http.post("/api/v1/posts/1/photos", data=jpeg(), headers=headers) as response:
            assert response.status == 201, await response.text()


def run_operations(live: LiveNode, role: str, run: Run) -> None:
    """Every operation of the document, with this role's token; failures are collected."""
    session = requests.Session()
    # Given at each call, so that it wins over whatever Authorization a case was generated with.
    token_id, secret = live.tokens[role]
    auth = {"Authorization": f"Bearer {secret}"}
    document = session.get(f"{live.base_url}/api/v1/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so that what the other operations look for is still there.
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    run.documented = {operation.label for operation in operations}
    for operation in operations:
        batches = [
            (GenerationMode.POSITIVE, POSITIVE_EXAMPLES, {}),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, {}),
        ]
        if "{id}" in operation.path:
            # Generated ids are rarely small: aim some cases at what the seed created (id 1).
            seeded = live.spare_tokens[role] if "/tokens/" in operation.path else 1
            batches.append((GenerationMode.POSITIVE, SEEDED_EXAMPLES, {"id": seeded}))
        for mode, examples, path_parameters in batches:
            strategy = operation.as_strategy(mode, path_parameters=path_parameters)

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            @given(case=strategy)
            def exercise(case) -> None:
                # Revoking the token this run stands on would leave only 401s to see.
                assume(case.formatted_path != f"/api/v1/tokens/{token_id}")
                response = case.call(live.base_url, session, dict(auth), timeout=30)
                run.cases += 1
                run.exercised.add(case.operation.label)
                run.statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=dict(auth))

            try:
                exercise()
            except (Exception, BaseExceptionGroup) as exc:
                where = f"{operation.label} ({mode.value}, {path_parameters or 'any id'})"
                run.failures.append(f"[{role}] {where}: {exc}")


@pytest.mark.parametrize("role", ["resident", "city staff"])
async def test_every_operation_answers_as_documented(live_node: LiveNode, role: str):
    run = Run()
    started = time.monotonic()
    await asyncio.to_thread(run_operations, live_node, role, run)
    print(
        f"{role}: {run.cases} cases in {time.monotonic() - started:.1f} s,"
        f" statuses {dict(sorted(run.statuses.items()))}"
    )
    assert len(run.documented) == len(ALL_OPERATIONS)
    assert run.exercised == run.documented  # none left out
    assert not run.failures, "\n\n".join(run.failures)
