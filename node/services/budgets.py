"""Participatory budgets: the city offers an amount and projects, residents share it out.

The city's side keeps the budget (`budgets`) and publishes it as a `quartier:Budget` through
CityBroadcast; every node, the city's own included, then holds it as a city message, so the
residents' side has one code path for local and remote budgets. A resident's allocation stays
on their home node (`budget_allocations`); the city learns only what `BudgetResultsSource`
reports: while open, how many took part; once closed, per project the sum given and how many
gave to it, hidden for groups under k residents (a small group's sums would reveal who gave what).
The reports are computed, and read on the city's side, in node/services/budget_reports.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from markupsafe import escape

from node.config import Config
from node.errors import N_, Amount, Conflict, InvalidInput, NotFound
from node.federation.outbox import iso_now, unix_time_of
from node.federation.runtime import Federation
from node.models import User
from node.models.budgets import (
    Budget,
    BudgetDraft,
    BudgetOutcome,
    BudgetProject,
    BudgetResults,
    NeighbourhoodResults,
    OfferedProject,
    ReceivedBudget,
)
from node.models.city import CityObject
from node.services.budget_reports import (
    KIND,
    MAX_PROJECTS,
    REPORT_KIND,
    BudgetResultsSource,
    document_closed,
    document_projects,
    neighbourhood_results,
    overall_figures,
    valid_count,
)
from node.services.city_broadcast import LOCAL, CityBroadcast, RemoteNeighbourhood, ResidentView
from node.services.city_broadcast import Targets as BroadcastTargets
from node.services.reporting import Reporting
from node.services.rich_text import clean_received_html, render_markdown
from node.storage import budgets as budgets_store
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import peers as peers_store
from node.storage.database import Database

CURRENCY = "EUR"
MIN_PROJECTS = 2
MAX_EUROS = 1_000_000_000


# Whole euros as people type them: plain digits, or digits grouped by threes with a space, a
# point, a comma or an apostrophe ("50 000", "50.000", "50,000", "50'000"), optionally with
# zero cents (",00", ".00"). Anything else after a point or a comma is a decimal ("50,5",
# "10.50"): refused rather than read as 505 or 1050.
_WHOLE_EUROS = re.compile(r"(\d+|\d{1,3}(?:([.,'])\d{3})(?:\2\d{3})*)(?:[.,]00?)?")


def whole_euros(text: str) -> int | None:
    """A typed amount ("50000", "50 000", "50.000 €") as whole euros; None if it is not one."""
    compact = text.replace("\u00a0", " ").replace("\u202f", " ").replace("€", "").strip()
    compact = re.sub(r"(?<=\d) (?=\d{3}\b)", "'", compact)  # a space between groups of three
    found = _WHOLE_EUROS.fullmatch(compact)
    if found is None or not compact.isascii():
        return None
    digits = re.sub(r"\D", "", found[1])
    return int(digits) if len(digits) <= 12 else None


class Budgets:
    def __init__(
        self,
        db: Database,
        config: Config,
        broadcast: CityBroadcast,
        reporting: Reporting,
        federation: Federation,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._broadcast = broadcast
        self._reporting = reporting
        self._federation = federation
        self._clock = clock
        reporting.register(BudgetResultsSource(config.participation.min_cell_size))

    def now(self) -> float:
        """The service's clock, so pages judge open and closed as the service does."""
        return self._clock()

    # -- the city's side -------------------------------------------------------------------

    async def remote_neighbourhoods(self) -> list[RemoteNeighbourhood]:
        return await self._broadcast.remote_neighbourhoods()

    async def list(self) -> list[Budget]:
        return await self._db.read("list_budgets", budgets_store.list_budgets)

    async def get(self, budget_id: int) -> Budget:
        found = await self._db.read("get_budget", budgets_store.get_budget_by_id, budget_id)
        if found is None:
            raise NotFound(N_("There is no such budget."))
        return found

    def _check(self, draft: BudgetDraft, remote: set[str]) -> None:
        problems: dict[str, str | tuple[str, dict[str, Any]]] = {}
        if not 3 <= len(" ".join(draft.title.split())) <= 200:
            problems["title"] = N_("Give the budget a title of 3 to 200 characters.")
        if not draft.description.strip() or len(draft.description) > 10_000:
            problems["description"] = N_("Describe the budget (at most 10,000 characters).")
        if draft.amount is None or not 1 <= draft.amount <= MAX_EUROS:
            problems["amount"] = N_("Give the amount per neighbourhood in whole euros, e.g. 50000.")
        now = self._clock()
        if draft.closes_at is None:
            problems["closes_at"] = N_("Give the date and time the budget closes.")
        elif draft.closes_at <= now:
            problems["closes_at"] = N_("The closing date must be in the future.")
        elif draft.opens_at is not None and draft.closes_at <= draft.opens_at:
            problems["closes_at"] = N_("The budget must close after it opens.")
        targets = BroadcastTargets.from_form(list(draft.targets))
        if targets.empty:
            problems["targets"] = N_("Choose at least one neighbourhood, or all of them.")
        rows = draft.rows or tuple(range(len(draft.projects)))
        for project, row in zip(draft.projects, rows, strict=True):
            field = f"projects.{row}"
            if not 1 <= len(project.name.strip()) <= 200:
                problems[f"{field}.name"] = N_("Give the project a name of at most 200 characters.")
            if len(project.description) > 1000:
                problems[f"{field}.description"] = N_(
                    "Keep the description under 1,000 characters."
                )
            if project.cost is None or not 1 <= project.cost <= MAX_EUROS:
                problems[f"{field}.cost"] = N_("Give the cost in whole euros, e.g. 12000.")
            if project.neighbourhood and not _targeted(project.neighbourhood, targets, remote):
                problems[f"{field}.neighbourhood"] = N_(
                    "Choose one of the neighbourhoods the budget goes to."
                )
        if len(draft.projects) < MIN_PROJECTS:
            problems["projects"] = N_("Offer at least two projects.")
        elif len(draft.projects) > MAX_PROJECTS:
            problems["projects"] = N_("Offer at most 30 projects.")
        if problems:
            raise InvalidInput(problems)

    async def create(self, author: User, draft: BudgetDraft) -> Budget:
        """Check and publish a budget to its neighbourhoods (local now, remote as `Create`)."""
        self._broadcast.city()
        remote = {r.uri for r in await self.remote_neighbourhoods()}
        self._check(draft, remote)
        now = int(self._clock())
        group_uris = await self._db.read("local_group_uris", self._local_group_uris)
        projects = tuple(
            BudgetProject(
                name=" ".join(p.name.split()),
                description=" ".join(p.description.split()),
                cost=int(p.cost or 0),
                neighbourhood=(
                    group_uris.get(_local_id(p.neighbourhood))
                    if p.neighbourhood and p.neighbourhood.startswith(LOCAL)
                    else p.neighbourhood or None
                ),
            )
            for p in draft.projects
        )
        budget = Budget(
            id=0,
            object_uri=self._broadcast.new_object_uri(),
            title=" ".join(draft.title.split()),
            description=draft.description.strip(),
            amount=int(draft.amount or 0),
            currency=CURRENCY,
            projects=projects,
            opens_at=draft.opens_at if draft.opens_at is not None else now,
            closes_at=int(draft.closes_at or 0),
            closed_at=None,
            outcome=None,
            created_at=now,
            withdrawn_at=None,
        )

        def store(conn) -> int:
            return budgets_store.put_budget(
                conn,
                object_uri=budget.object_uri,
                title=budget.title,
                description=budget.description,
                amount=budget.amount,
                currency=budget.currency,
                projects=budget.projects,
                opens_at=budget.opens_at,
                closes_at=budget.closes_at,
                created_by=author.id,
                now=now,
            )

        budget_id = await self._broadcast.publish(
            source=KIND,
            kind=KIND,
            obj=self._document(budget),
            targets=BroadcastTargets.from_form(list(draft.targets)),
            view=self._view(budget),
            public=False,  # residents allocate on their home node: nothing for the fediverse
            store=store,
        )
        return await self.get(budget_id)

    def _local_group_uris(self, conn) -> dict[int, str]:
        actors = self._federation.actors
        return {
            n.id: actors.neighbourhood(n.slug, n.name).uri
            for n in neighbourhoods_store.list_neighbourhoods(conn)
        }

    def _document(self, budget: Budget) -> dict[str, Any]:
        """The `quartier:Budget` as it goes on the wire (see docs/federation.md)."""
        projects = []
        for p in budget.projects:
            project: dict[str, Any] = {
                "name": p.name,
                "content": str(escape(p.description)),
                "quartier:cost": p.cost,
            }
            if p.neighbourhood:
                project["quartier:neighbourhood"] = p.neighbourhood
            projects.append(project)
        document: dict[str, Any] = {
            "id": budget.object_uri,
            "type": "quartier:Budget",
            "name": budget.title,
            "content": render_markdown(budget.description),
            "published": iso_now(budget.created_at),
            "startTime": iso_now(budget.opens_at),
            "endTime": iso_now(budget.closes_at),
            "quartier:amount": budget.amount,
            "quartier:currency": budget.currency,
            "quartier:projects": projects,
        }
        if budget.closed_at is not None:
            document["closed"] = iso_now(budget.closed_at)
        if budget.outcome is not None:
            document["quartier:outcome"] = {
                "content": render_markdown(budget.outcome.text),
                "quartier:funded": list(budget.outcome.funded),
            }
        return document

    def _view(self, budget: Budget) -> ResidentView:
        return ResidentView(title=budget.title, content_html=render_markdown(budget.description))

    async def close(self, author: User, budget_id: int) -> Budget:
        """Close allocations now, everywhere (`Update` with `closed`): final reports follow."""
        budget = await self.get(budget_id)
        if budget.withdrawn_at is not None:
            raise Conflict(N_("This budget was withdrawn."))
        if budget.closed_at is not None:
            return budget
        now = int(self._clock())
        closed = Budget(**{**budget.__dict__, "closed_at": now})
        await self._broadcast.update(
            source=KIND,
            kind=KIND,
            obj=self._document(closed),
            view=self._view(closed),
            store=lambda conn: budgets_store.close_budget(conn, budget_id, now),
        )
        self._reporting.wake()
        return await self.get(budget_id)

    async def publish_outcome(
        self, author: User, budget_id: int, funded: list[int], text: str
    ) -> Budget:
        """Tell residents what the city decided (`Update` with `quartier:outcome`); closes the
        budget if it was still open."""
        budget = await self.get(budget_id)
        if budget.withdrawn_at is not None:
            raise Conflict(N_("This budget was withdrawn."))
        problems: dict[str, str] = {}
        if not text.strip() or len(text) > 10_000:
            problems["outcome"] = N_("Explain the outcome (at most 10,000 characters).")
        if any(not 0 <= i < len(budget.projects) for i in funded):
            problems["funded"] = N_("Choose projects from the list.")
        if problems:
            raise InvalidInput(problems)
        now = int(self._clock())
        outcome = BudgetOutcome(text.strip(), tuple(sorted(set(funded))))
        decided = Budget(
            **{**budget.__dict__, "closed_at": budget.closed_at or now, "outcome": outcome}
        )
        await self._broadcast.update(
            source=KIND,
            kind=KIND,
            obj=self._document(decided),
            view=self._view(decided),
            store=lambda conn: budgets_store.put_budget_outcome(conn, budget_id, outcome, now),
        )
        self._reporting.wake()
        return await self.get(budget_id)

    async def withdraw(self, author: User, budget_id: int) -> None:
        """Take the budget back everywhere (`Delete`); residents' pages say so."""
        budget = await self.get(budget_id)
        if budget.withdrawn_at is not None:
            return
        now = int(self._clock())
        await self._broadcast.withdraw(
            source=KIND,
            object_uri=budget.object_uri,
            store=lambda conn: budgets_store.withdraw_budget(conn, budget_id, now),
        )

    async def results(self, budget_id: int) -> BudgetResults:
        """What neighbourhoods reported, per neighbourhood and summed: counts only."""
        city = self._broadcast.city()

        def read(conn):
            budget = budgets_store.get_budget_by_id(conn, budget_id)
            if budget is None:
                return None
            reports = city_reports_store.list_city_reports(conn, budget.object_uri, REPORT_KIND)
            targets = city_reports_store.list_city_object_targets(conn, budget.object_uri)
            local = {n.id: n for n in neighbourhoods_store.list_neighbourhoods(conn)}
            follows = peers_store.list_follows(conn, "inbound", "accepted", city.key)
            return budget, reports, targets, local, follows

        found = await self._db.read("budget_results", read)
        if found is None:
            raise NotFound(N_("There is no such budget."))
        budget, reports, targets, local, follows = found
        actors = self._federation.actors
        remote_names = {
            f.actor.uri: (f.actor.name or f.actor.preferred_username, f.actor.host)
            for f in follows
            if f.actor is not None
        }
        # Every neighbourhood it went to, reported or not yet, by actor URI
        rows: dict[str, NeighbourhoodResults] = {}
        for target in targets:
            if target.startswith(LOCAL):
                n = local.get(_local_id(target))
                if n is not None:
                    uri = actors.neighbourhood(n.slug, n.name).uri
                    rows[uri] = NeighbourhoodResults(n.name, "", False, False, None, ())
            else:
                name, host = remote_names.get(target, (target, ""))
                rows[target] = NeighbourhoodResults(name, host, False, False, None, ())
        count = len(budget.projects)
        for report in reports:
            # A neighbourhood of this node needs no host beside its name
            host = "" if report.host == actors.host else report.host
            rows[report.neighbourhood_uri] = neighbourhood_results(report, count, host)
        overall, partial = overall_figures(budget, rows)
        ordered = sorted(rows.values(), key=lambda r: (r.name.casefold(), r.host))
        return BudgetResults(
            budget=budget,
            neighbourhoods=tuple(ordered),
            participants=sum(r.participants or 0 for r in ordered),
            projects=overall,
            partial=partial,
        )

    # -- the residents' side ---------------------------------------------------------------

    async def for_resident(
        self, user: User, message_id: int
    ) -> tuple[ReceivedBudget, dict[int, int]]:
        """The budget as offered to the resident's neighbourhood, and their own allocation."""
        found = await self._db.read("resident_budget", self._resident_read, user, message_id)
        if found is None:
            raise NotFound(N_("There is no such budget."))
        obj, group_uri, allocation = found
        return self._received(obj, group_uri), allocation

    def _resident_read(self, conn, user: User, message_id: int):
        if user.neighbourhood_id is None:
            return None
        obj = city_messages_store.get_city_object_for_neighbourhood(
            conn, message_id, user.neighbourhood_id, KIND
        )
        neighbourhood = neighbourhoods_store.get_neighbourhood_by_id(conn, user.neighbourhood_id)
        if obj is None or neighbourhood is None:
            return None
        group = self._federation.actors.neighbourhood(neighbourhood.slug, neighbourhood.name)
        return obj, group.uri, budgets_store.get_allocation(conn, obj.object_uri, user.id)

    def _received(self, obj: CityObject, group_uri: str) -> ReceivedBudget:
        doc = obj.document
        outcome = doc.get("quartier:outcome")
        outcome = outcome if isinstance(outcome, dict) else None
        funded_raw = outcome.get("quartier:funded") if outcome else None
        funded = (
            {i for i in funded_raw if isinstance(i, int)} if isinstance(funded_raw, list) else set()
        )
        return ReceivedBudget(
            message_id=obj.message_id,
            object_uri=obj.object_uri,
            city_name=obj.actor_name,
            title=str(doc.get("name", "")),
            description_html=clean_received_html(doc.get("content")),
            amount=valid_count(doc.get("quartier:amount")) or 0,
            currency=str(doc.get("quartier:currency") or CURRENCY),
            projects=tuple(
                OfferedProject(i, p, i in funded)
                for i, p in enumerate(document_projects(doc))
                if p.offered_to(group_uri)
            ),
            opens_at=unix_time_of(doc.get("startTime")),
            closes_at=unix_time_of(doc.get("endTime")),
            closed=document_closed(doc, self._clock()),
            outcome_html=clean_received_html(outcome.get("content")) if outcome else None,
            withdrawn=obj.withdrawn_at is not None,
        )

    async def allocate(
        self, user: User, message_id: int, typed: dict[int, str | int]
    ) -> dict[int, int]:
        """Replace the resident's allocation: each amount at most its project's cost, all of
        them together at most the budget's amount. Returns what was saved."""
        budget, _ = await self.for_resident(user, message_id)
        state = budget.state(self._clock())
        if state == "closed":
            raise Conflict(N_("This budget is closed: allocations can no longer change."))
        if state != "open":
            raise Conflict(N_("This budget is not open for allocations now."))
        amounts = _checked_amounts(budget, typed)
        now = int(self._clock())
        neighbourhood_id = user.neighbourhood_id or 0
        object_uri = budget.object_uri

        def write(conn) -> None:
            budgets_store.replace_allocation(
                conn, object_uri, user.id, neighbourhood_id, amounts, now
            )

        await self._db.write("allocate_budget", write)
        self._reporting.wake()
        return {i: a for i, a in amounts.items() if a > 0}


def _checked_amounts(budget: ReceivedBudget, typed: dict[int, str | int]) -> dict[int, int]:
    """The typed amounts as euros, or InvalidInput naming each wrong field ("project.<index>");
    an over-budget total is named at the first field where the running sum passes the amount."""
    offered = {p.index: p.project for p in budget.projects}
    problems: dict[str, str | tuple[str, dict[str, Any]]] = {}
    amounts: dict[int, int] = {}
    for index, raw in sorted(typed.items()):
        value = raw if isinstance(raw, int) else (whole_euros(raw) if raw.strip() else 0)
        field = f"project.{index}"
        if index not in offered:
            if value:
                problems[field] = N_("This project is not offered to your neighbourhood.")
        elif value is None or not 0 <= value <= MAX_EUROS:
            problems[field] = N_("Give a whole number of euros, 0 or more.")
        elif value > offered[index].cost:
            problems[field] = (
                N_("At most the project's cost, %(cost)s €."),
                {"cost": Amount(offered[index].cost)},
            )
        else:
            amounts[index] = value
    running = 0
    for index in sorted(amounts):
        running += amounts[index]
        if running > budget.amount:
            problems.setdefault(
                f"project.{index}",
                (
                    N_(
                        "Together your amounts come to %(total)s €, more than the"
                        " %(amount)s € to share out."
                    ),
                    {"total": Amount(sum(amounts.values())), "amount": Amount(budget.amount)},
                ),
            )
            break
    if problems:
        raise InvalidInput(problems)
    return amounts


def _targeted(where: str, targets: BroadcastTargets, remote: set[str]) -> bool:
    """Is the neighbourhood a project is limited to one the budget goes to?"""
    if where.startswith(LOCAL):
        return targets.everywhere or _local_id(where) in targets.local
    return where in remote and (targets.everywhere or where in targets.remote)


def _local_id(target: str) -> int:
    rest = target[len(LOCAL) :]
    return int(rest) if rest.isascii() and rest.isdigit() and len(rest) <= 18 else -1
