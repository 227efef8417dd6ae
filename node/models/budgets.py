"""Participatory budgets: what the city offers, what a resident allocates, what the city sees.

The city sets an amount per neighbourhood and a list of projects; each resident shares that
amount out among the projects offered to their neighbourhood, on their home node. The city only
ever sees aggregates: per neighbourhood, how many took part and, once closed, per project the
sum given and how many gave to it (small groups hidden).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetProject:
    name: str
    description: str
    cost: int
    # The actor URI of the one neighbourhood it is offered to; None: every targeted one.
    neighbourhood: str | None = None

    def offered_to(self, neighbourhood_uri: str) -> bool:
        return self.neighbourhood is None or self.neighbourhood == neighbourhood_uri


@dataclass(frozen=True)
class BudgetOutcome:
    """What the city decided: the funded projects (indices into the project list) and why."""

    text: str
    funded: tuple[int, ...]


@dataclass(frozen=True)
class Budget:
    """The city's own budget, on the city's node."""

    id: int
    object_uri: str
    title: str
    description: str
    amount: int
    currency: str
    projects: tuple[BudgetProject, ...]
    opens_at: int
    closes_at: int
    closed_at: int | None
    outcome: BudgetOutcome | None
    created_at: int
    withdrawn_at: int | None

    def state(self, now: float) -> str:
        """ "withdrawn", "scheduled", "open" or "closed"."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.closed_at is not None or now >= self.closes_at:
            return "closed"
        return "scheduled" if now < self.opens_at else "open"


@dataclass(frozen=True)
class DraftProject:
    """A project as typed: the cost None when it was not a whole number."""

    name: str
    description: str
    cost: int | None
    neighbourhood: str | None = None  # "local:<id>" or a remote neighbourhood actor URI


@dataclass(frozen=True)
class BudgetDraft:
    """What city staff typed; checked by the service."""

    title: str
    description: str
    amount: int | None
    opens_at: int | None
    closes_at: int | None
    projects: tuple[DraftProject, ...]
    targets: tuple[str, ...]  # "all", "local:<id>" or a remote neighbourhood actor URI
    # Form row of each project (the page shows errors beside the row typed, empty rows skipped)
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class OfferedProject:
    index: int  # position in the city's project list: what allocations and reports refer to
    project: BudgetProject
    funded: bool = False


@dataclass(frozen=True)
class ReceivedBudget:
    """A budget as residents of one neighbourhood see it, from a local or a remote city."""

    message_id: int
    object_uri: str
    city_name: str
    title: str
    description_html: str
    amount: int
    currency: str
    projects: tuple[OfferedProject, ...]
    opens_at: int | None
    closes_at: int | None
    closed: bool
    outcome_html: str | None
    withdrawn: bool

    def state(self, now: float) -> str:
        if self.withdrawn:
            return "withdrawn"
        if self.closed or (self.closes_at is not None and now >= self.closes_at):
            return "closed"
        if self.opens_at is not None and now < self.opens_at:
            return "scheduled"
        return "open"


@dataclass(frozen=True)
class ProjectFigures:
    """One project's aggregate: None where hidden (or not reported)."""

    total: int | None
    supporters: int | None


@dataclass(frozen=True)
class NeighbourhoodResults:
    name: str
    host: str
    reported: bool
    final: bool
    participants: int | None
    projects: tuple[ProjectFigures, ...]


@dataclass(frozen=True)
class BudgetResults:
    budget: Budget
    neighbourhoods: tuple[NeighbourhoodResults, ...]
    participants: int
    projects: tuple[ProjectFigures, ...]  # overall: sums of the figures shown
    partial: tuple[bool, ...]  # per project: some neighbourhood's figure is hidden


@dataclass(frozen=True)
class AllocationTally:
    """One neighbourhood's allocations to one budget, summed on its home node."""

    participants: int
    totals: dict[int, int]  # project index -> sum given
    supporters: dict[int, int]  # project index -> residents who gave it something
