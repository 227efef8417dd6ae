"""JSON API of participatory budgets: city staff create, close and decide; residents allocate."""

from __future__ import annotations

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import BUDGETS, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import path_id
from node.models.budgets import Budget, BudgetDraft, BudgetResults, DraftProject, ProjectFigures


def _budget_json(b: Budget) -> dict:
    return {
        "id": b.id,
        "object_uri": b.object_uri,
        "title": b.title,
        "description": b.description,
        "amount": b.amount,
        "currency": b.currency,
        "projects": [
            {
                "name": p.name,
                "description": p.description,
                "cost": p.cost,
                "neighbourhood": p.neighbourhood,
            }
            for p in b.projects
        ],
        "opens_at": b.opens_at,
        "closes_at": b.closes_at,
        "closed_at": b.closed_at,
        "outcome": {"text": b.outcome.text, "funded": list(b.outcome.funded)}
        if b.outcome
        else None,
        "created_at": b.created_at,
        "withdrawn_at": b.withdrawn_at,
    }


def _figures_json(f: ProjectFigures) -> dict:
    return {"total": f.total, "supporters": f.supporters}


def _results_json(r: BudgetResults) -> dict:
    return {
        "budget": _budget_json(r.budget),
        "participants": r.participants,
        "projects": [
            {**_figures_json(f), "partial": partial}
            for f, partial in zip(r.projects, r.partial, strict=True)
        ],
        "neighbourhoods": [
            {
                "name": n.name,
                "host": n.host,
                "reported": n.reported,
                "final": n.final,
                "participants": n.participants,
                "projects": [_figures_json(f) for f in n.projects],
            }
            for n in r.neighbourhoods
        ],
    }


@access(CITY)
async def budgets_list(request: web.Request) -> web.Response:
    budgets = await request.app[BUDGETS].list()
    return web.json_response([_budget_json(b) for b in budgets])


@access(CITY)
async def budgets_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/budget-create")
    targets = (
        (["all"] if body.get("all_neighbourhoods") else [])
        + [f"local:{n}" for n in body.get("neighbourhoods", [])]
        + list(body.get("remote_neighbourhoods", []))
    )
    draft = BudgetDraft(
        title=body["title"],
        description=body["description"],
        amount=body["amount"],
        opens_at=body.get("opens_at"),
        closes_at=body["closes_at"],
        projects=tuple(
            DraftProject(
                name=p["name"],
                description=p.get("description", ""),
                cost=p["cost"],
                neighbourhood=p.get("neighbourhood"),
            )
            for p in body["projects"]
        ),
        targets=tuple(targets),
    )
    budget = await request.app[BUDGETS].create(request[USER_KEY], draft)
    return web.json_response(_budget_json(budget), status=201)


@access(CITY)
async def budget_results(request: web.Request) -> web.Response:
    results = await request.app[BUDGETS].results(path_id(request))
    return web.json_response(_results_json(results))


@access(CITY)
async def budget_close(request: web.Request) -> web.Response:
    budget = await request.app[BUDGETS].close(request[USER_KEY], path_id(request))
    return web.json_response(_budget_json(budget))


@access(CITY)
async def budget_outcome(request: web.Request) -> web.Response:
    body = await json_body(request, "api/budget-outcome")
    budget = await request.app[BUDGETS].publish_outcome(
        request[USER_KEY], path_id(request), body["funded"], body["text"]
    )
    return web.json_response(_budget_json(budget))


@access(CITY)
async def budget_withdraw(request: web.Request) -> web.Response:
    await request.app[BUDGETS].withdraw(request[USER_KEY], path_id(request))
    return web.Response(status=204)


@access(RESIDENTS)
async def allocation_put(request: web.Request) -> web.Response:
    body = await json_body(request, "api/budget-allocation")
    # JSON Schema's "integer" admits 2.0: make the numbers ints before the service sees them.
    typed: dict[int, str | int] = {int(a["project"]): int(a["amount"]) for a in body["allocation"]}
    saved = await request.app[BUDGETS].allocate(request[USER_KEY], path_id(request), typed)
    return web.json_response(
        {"allocation": [{"project": i, "amount": a} for i, a in sorted(saved.items())]}
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/city/budgets",
        budgets_list,
        "The city's participatory budgets",
        response_schema="api/budget",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/city/budgets",
        budgets_create,
        "Publish a participatory budget to local and followed remote neighbourhoods",
        request_schema="api/budget-create",
        response_schema="api/budget",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/city/budgets/{id}",
        budget_results,
        "A budget's aggregate results, per neighbourhood and overall (counts only)",
        response_schema="api/budget-results",
    ),
    Operation(
        "POST",
        "/api/v1/city/budgets/{id}/close",
        budget_close,
        "Close a budget now everywhere (federated as Update with `closed`)",
        response_schema="api/budget",
    ),
    Operation(
        "POST",
        "/api/v1/city/budgets/{id}/outcome",
        budget_outcome,
        "Publish the outcome: funded projects and the city's explanation",
        request_schema="api/budget-outcome",
        response_schema="api/budget",
    ),
    Operation(
        "DELETE",
        "/api/v1/city/budgets/{id}",
        budget_withdraw,
        "Withdraw a budget everywhere (federated as Delete)",
        status=204,
    ),
    Operation(
        "PUT",
        "/api/v1/budgets/{id}/allocation",
        allocation_put,
        "Set your own allocation of a budget offered to your neighbourhood (replaces it)",
        request_schema="api/budget-allocation",
        response_schema="api/budget-allocation",
    ),
)
