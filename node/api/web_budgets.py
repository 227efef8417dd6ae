"""Participatory budget pages: city staff create budgets and read aggregate results; residents
share the amount out among the projects offered to their neighbourhood."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from node.api.access import CITY, RESIDENTS, access
from node.api.app_keys import BUDGETS, CONFIG, TRANSLATOR_KEY, USER_KEY
from node.api.city_targets import form_with_targets, target_choices
from node.api.params import ID, path_id
from node.api.rendering import Form, render_page
from node.errors import N_, InvalidInput
from node.models.budgets import BudgetDraft, DraftProject
from node.services.budgets import whole_euros

PROJECT_ROWS = 6  # rows of project fields on the form; empty rows are ignored (no JS needed)
PROJECT_FIELDS = ("name", "description", "cost", "neighbourhood")


def _moment(value: str, timezone: str, field: str) -> int | None:
    """A typed date and time, read in the node's time zone; None when left empty."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput({field: N_("Give the date as day, month, year and time.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return int(moment.timestamp())


async def _budgets_page(request: web.Request, form: Form, status: int = 200) -> web.Response:
    service = request.app[BUDGETS]
    return await render_page(
        request,
        "budgets/city_list.html",
        {
            "budgets": await service.list(),
            **await target_choices(request, form),
            "form": form,
            "rows": range(PROJECT_ROWS),
            "now": service.now(),
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(CITY)
async def budgets_get(request: web.Request) -> web.Response:
    return await _budgets_page(request, Form())


def _draft(values: dict[str, str], targets: list[str], timezone: str) -> BudgetDraft:
    projects, rows = [], []
    for row in range(PROJECT_ROWS):
        typed = {f: values.get(f"projects.{row}.{f}", "").strip() for f in PROJECT_FIELDS}
        if not (typed["name"] or typed["description"] or typed["cost"]):
            continue  # an empty row: the form always offers more rows than needed
        projects.append(
            DraftProject(
                name=typed["name"],
                description=typed["description"],
                cost=whole_euros(typed["cost"]),
                neighbourhood=typed["neighbourhood"] or None,
            )
        )
        rows.append(row)
    return BudgetDraft(
        title=values.get("title", ""),
        description=values.get("description", ""),
        amount=whole_euros(values.get("amount", "")),
        opens_at=_moment(values.get("opens_at", ""), timezone, "opens_at"),
        closes_at=_moment(values.get("closes_at", ""), timezone, "closes_at"),
        projects=tuple(projects),
        targets=tuple(targets),
        rows=tuple(rows),
    )


@access(CITY)
async def budgets_post(request: web.Request) -> web.Response:
    values, targets = await form_with_targets(request)
    try:
        draft = _draft(values, targets, request.app[CONFIG].node.timezone)
        budget = await request.app[BUDGETS].create(request[USER_KEY], draft)
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _budgets_page(request, form, 400)
    raise web.HTTPSeeOther(f"/city/budgets/{budget.id}?notice=published")


async def _budget_page(
    request: web.Request, budget_id: int, form: Form, status: int = 200
) -> web.Response:
    results = await request.app[BUDGETS].results(budget_id)
    return await render_page(
        request,
        "budgets/city_results.html",
        {
            "results": results,
            "budget": results.budget,
            "state": results.budget.state(request.app[BUDGETS].now()),
            "form": form,
            "funded": set(form.values.get("funded", "").split()),
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(CITY)
async def budget_get(request: web.Request) -> web.Response:
    return await _budget_page(request, path_id(request), Form())


@access(CITY)
async def budget_close_post(request: web.Request) -> web.Response:
    budget_id = path_id(request)
    await request.app[BUDGETS].close(request[USER_KEY], budget_id)
    raise web.HTTPSeeOther(f"/city/budgets/{budget_id}?notice=closed")


@access(CITY)
async def budget_outcome_post(request: web.Request) -> web.Response:
    budget_id = path_id(request)
    data = await request.post()
    funded_values = [v for k, v in data.items() if k == "funded" and isinstance(v, str)]
    values = {"outcome": str(data.get("outcome", "")), "funded": " ".join(funded_values)}
    try:
        funded = [int(v) for v in funded_values if v.isascii() and v.isdigit() and len(v) < 4]
        if len(funded) != len(funded_values):
            raise InvalidInput({"funded": N_("Choose projects from the list.")})
        await request.app[BUDGETS].publish_outcome(
            request[USER_KEY], budget_id, funded, values["outcome"]
        )
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _budget_page(request, budget_id, form, 400)
    raise web.HTTPSeeOther(f"/city/budgets/{budget_id}?notice=outcome")


@access(CITY)
async def budget_withdraw_post(request: web.Request) -> web.Response:
    await request.app[BUDGETS].withdraw(request[USER_KEY], path_id(request))
    raise web.HTTPSeeOther("/city/budgets?notice=withdrawn")


# -- residents -------------------------------------------------------------------------------


async def _resident_page(
    request: web.Request, message_id: int, form: Form | None = None, status: int = 200
) -> web.Response:
    budget, allocation = await request.app[BUDGETS].for_resident(request[USER_KEY], message_id)
    if form is None:
        form = Form({f"project.{i}": str(a) for i, a in allocation.items()})
    return await render_page(
        request,
        "budgets/resident.html",
        {
            "budget": budget,
            "allocation": allocation,
            "allocated": sum(allocation.values()),
            "state": budget.state(request.app[BUDGETS].now()),
            "form": form,
            "notice": request.query.get("notice", ""),
        },
        status=status,
    )


@access(RESIDENTS)
async def resident_budget_get(request: web.Request) -> web.Response:
    return await _resident_page(request, path_id(request))


@access(RESIDENTS)
async def resident_budget_post(request: web.Request) -> web.Response:
    message_id = path_id(request)
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str) and k.startswith("project.")}
    typed: dict[int, str | int] = {}
    for key, value in values.items():
        index = key.removeprefix("project.")
        if index.isascii() and index.isdigit() and len(index) < 4:
            typed[int(index)] = value
    try:
        await request.app[BUDGETS].allocate(request[USER_KEY], message_id, typed)
    except InvalidInput as exc:
        form = Form.from_error(values, exc, request[TRANSLATOR_KEY])
        return await _resident_page(request, message_id, form, 400)
    raise web.HTTPSeeOther(f"/budgets/{message_id}?notice=saved")


ROUTES = (
    ("GET", "/city/budgets", budgets_get),
    ("POST", "/city/budgets", budgets_post),
    ("GET", f"/city/budgets/{ID}", budget_get),
    ("POST", f"/city/budgets/{ID}/close", budget_close_post),
    ("POST", f"/city/budgets/{ID}/outcome", budget_outcome_post),
    ("POST", f"/city/budgets/{ID}/withdraw", budget_withdraw_post),
    ("GET", f"/budgets/{ID}", resident_budget_get),
    ("POST", f"/budgets/{ID}", resident_budget_post),
)
