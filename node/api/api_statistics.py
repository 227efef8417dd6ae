"""JSON API of the city's statistics: the same counts as the statistics page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.api.access import CITY, access
from node.api.app_keys import STATISTICS
from node.api.operations import Operation
from node.models.statistics import (
    NeighbourhoodStatistics,
    StatisticsOverview,
    SurveyParticipationRow,
)

_MONTHLY = ("posts", "comments", "reactions", "help_requests", "help_resolved")


def _figures_json(n: NeighbourhoodStatistics, months: list[str]) -> dict[str, Any]:
    return {
        "households_in_register": n.households_in_register,
        "households_registered": n.households_registered,
        "coverage_percent": n.coverage_percent,
        "residents": n.residents,
        "city_message_views": n.city_message_views,
        "help_resolved_percent": n.help_resolved_percent(months),
        "months": {
            month: {figure: getattr(activity, figure) for figure in _MONTHLY}
            for month, activity in n.months.items()
        },
    }


def _participation_json(row: SurveyParticipationRow) -> dict[str, Any]:
    return {
        "responding_households": row.responding_households,
        "registered_households": row.registered_households,
        "participation_percent": row.participation_percent,
    }


def statistics_json(overview: StatisticsOverview) -> dict[str, Any]:
    return {
        "generated_at": overview.generated_at,
        "months": overview.months,
        "neighbourhoods": [
            {
                "name": n.name,
                "uri": n.uri,
                "host": n.host,
                "local": n.local,
                "last_reported_at": n.reported_at,
                **_figures_json(n, overview.months),
            }
            for n in overview.neighbourhoods
        ],
        "total": _figures_json(overview.total, overview.months),
        "surveys": [
            {
                "object_uri": s.object_uri,
                "title": s.title,
                "neighbourhoods": [
                    {"name": r.name, "host": r.host, "local": r.local, **_participation_json(r)}
                    for r in s.rows
                ],
                "total": _participation_json(s.total),
            }
            for s in overview.surveys
        ],
    }


@access(CITY)
async def city_statistics_get(request: web.Request) -> web.Response:
    overview = await request.app[STATISTICS].overview()
    return web.json_response(statistics_json(overview))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/city/statistics",
        city_statistics_get,
        "Counts per neighbourhood, local and remote, as last reported (no resident content)",
        response_schema="api/statistics",
    ),
)
