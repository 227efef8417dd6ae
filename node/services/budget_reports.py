"""Budget reports: what each neighbourhood tells the city about a budget, and what the city
makes of those reports. The budget use cases (publishing, allocating) are in budgets.py.

The two halves run on different nodes, which is why they are kept apart from the use cases:

- `BudgetResultsSource` runs on the neighbourhood's node. Reporting (node/services/reporting.py)
  calls it to compute the aggregate sent to the city: while open, how many took part; once
  closed, per project the sum given and how many gave to it, small groups hidden
  (node/services/disclosure.py).
- `neighbourhood_results` and `overall_figures` run on the city's node, over the reports it
  received: each neighbourhood's figures, and per project the sums of what they showed.

`valid_count`, `document_projects`, `document_closed`, `KIND`, `REPORT_KIND` and `MAX_PROJECTS`
are defined here because both this module and budgets.py need them, and this module must not
import budgets.py.
"""

from __future__ import annotations

from typing import Any

from node.federation.outbox import unix_time_of
from node.models.budgets import Budget, BudgetProject, NeighbourhoodResults, ProjectFigures
from node.models.city import CityReport, Figures, ReportState, ReportSubject
from node.services.disclosure import suppress
from node.services.reporting import CityObjectSubjects
from node.storage import budgets as budgets_store
from node.storage import city_messages as city_messages_store

KIND = "budget"
REPORT_KIND = "budget_results"
MAX_PROJECTS = 30


def valid_count(value: Any) -> int | None:
    """A count from a report (untrusted when remote): a non-negative integer, or None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**15:
        return value
    return None


def document_projects(document: dict[str, Any]) -> list[BudgetProject]:
    """The projects of a received `quartier:Budget` (schema-checked on ingress)."""
    projects = document.get("quartier:projects")
    if not isinstance(projects, list):
        return []
    return [
        BudgetProject(
            name=str(p.get("name", "")),
            description=str(p.get("content", "")),
            cost=valid_count(p.get("quartier:cost")) or 0,
            neighbourhood=p["quartier:neighbourhood"]
            if isinstance(p.get("quartier:neighbourhood"), str)
            else None,
        )
        for p in projects[:MAX_PROJECTS]
        if isinstance(p, dict)
    ]


def document_closed(document: dict[str, Any], now: float) -> bool:
    """Closed early by the city (`closed`) or past its `endTime`."""
    if document.get("closed"):
        return True
    ends = unix_time_of(document.get("endTime"))
    return ends is not None and now >= ends


class BudgetResultsSource(CityObjectSubjects):
    """What each neighbourhood reports about a budget it received (see reporting.py)."""

    kind = REPORT_KIND
    object_kind = KIND

    def __init__(self, min_cell_size: int) -> None:
        self._k = min_cell_size

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures | None:
        obj = city_messages_store.get_city_object_by_uri(conn, subject.subject_uri)
        if obj is None:
            return None
        opens = unix_time_of(obj.document.get("startTime"))
        if opens is not None and now < opens:
            return None
        tally = budgets_store.tally_allocations(conn, subject.subject_uri, subject.neighbourhood_id)
        if not document_closed(obj.document, now):
            # While open only the turnout: sums that move with each allocation would show
            # what the latest resident gave.
            return Figures({"participants": tally.participants})
        count = len(document_projects(obj.document))
        supporters = [tally.supporters.get(i, 0) for i in range(count)]
        # Supporters need not add up to anything (a resident gives to several projects), so
        # no second cell has to be hidden; a hidden project's total goes with its supporters.
        shown = suppress(supporters, tally.participants, self._k, adds_up=False)
        projects = [
            {
                "total": tally.totals.get(i, 0) if shown[i] is not None else None,
                "supporters": shown[i],
            }
            for i in range(count)
        ]
        return Figures({"participants": tally.participants, "projects": projects}, final=True)


# -- reading the reports on the city's side -------------------------------------------------------


def neighbourhood_results(report: CityReport, count: int, host: str) -> NeighbourhoodResults:
    """One neighbourhood's report, coping with any odd value a remote node may send."""
    figures = report.figures if isinstance(report.figures, dict) else {}
    raw = figures.get("projects")
    final = report.final and isinstance(raw, list)
    projects = []
    for i in range(count if final else 0):
        entry = raw[i] if i < len(raw) and isinstance(raw[i], dict) else {}  # type: ignore[index,arg-type]
        total, supporters = valid_count(entry.get("total")), valid_count(entry.get("supporters"))
        if total is None or supporters is None:  # one without the other is not a figure
            total = supporters = None
        projects.append(ProjectFigures(total, supporters))
    return NeighbourhoodResults(
        name=report.neighbourhood_name,
        host=host,
        reported=True,
        final=final,
        participants=valid_count(figures.get("participants")),
        projects=tuple(projects),
    )


def overall_figures(
    budget: Budget, rows: dict[str, NeighbourhoodResults]
) -> tuple[tuple[ProjectFigures, ...], tuple[bool, ...]]:
    """Per project, the sums of what neighbourhoods showed; `partial` where one hid it."""
    overall, partial = [], []
    for i, project in enumerate(budget.projects):
        finals = [r.projects[i] for uri, r in rows.items() if r.final and project.offered_to(uri)]
        shown = [f for f in finals if f.total is not None]
        overall.append(
            ProjectFigures(sum(f.total or 0 for f in shown), sum(f.supporters or 0 for f in shown))
            if shown
            else ProjectFigures(None, None)
        )
        partial.append(len(shown) < len(finals))
    return tuple(overall), tuple(partial)
