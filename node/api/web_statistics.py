"""The city's statistics page and its CSV download: counts per neighbourhood, local and
remote, as each neighbourhood last reported them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from aiohttp import web

from node.api.access import CITY, access
from node.api.app_keys import CONFIG, STATISTICS
from node.api.rendering import render_page
from node.models.statistics import MonthlyActivity, NeighbourhoodStatistics, StatisticsOverview

CSV_COLUMNS = (
    "neighbourhood",
    "server",
    "month",
    "posts",
    "comments",
    "reactions",
    "help_requests",
    "help_resolved",
    "households_in_register",
    "households_registered",
    "residents",
    "city_message_views",
    "last_reported",
)
# A cell starting with one of these is a formula to a spreadsheet: a remote neighbourhood's
# name must never run as one on a staff member's computer.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def _csv_rows(n: NeighbourhoodStatistics, months: list[str]) -> list[list[str]]:
    reported = (
        datetime.fromtimestamp(n.reported_at, UTC).isoformat() if n.reported_at is not None else ""
    )
    rows = []
    for month in months:
        activity: MonthlyActivity | None = n.months.get(month)
        monthly = (
            [
                activity.posts,
                activity.comments,
                activity.reactions,
                activity.help_requests,
                activity.help_resolved,
            ]
            if activity is not None
            else [None] * 5
        )
        rows.append(
            [_text(n.name), _text(n.host), month]
            + [_cell(v) for v in monthly]
            + [
                _cell(n.households_in_register),
                _cell(n.households_registered),
                _cell(n.residents),
                _cell(n.city_message_views),
                reported,
            ]
        )
    return rows


def statistics_csv(overview: StatisticsOverview) -> str:
    """One row per neighbourhood and month (the last 12); whole-neighbourhood figures repeat
    on each of its rows so that any row can be read alone."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for n in overview.neighbourhoods:
        writer.writerows(_csv_rows(n, overview.months))
    return out.getvalue()


@access(CITY)
async def statistics_get(request: web.Request) -> web.Response:
    overview = await request.app[STATISTICS].overview()
    interval = request.app[CONFIG].participation.report_interval_minutes
    return await render_page(
        request, "statistics/index.html", {"overview": overview, "interval": interval}
    )


@access(CITY)
async def statistics_csv_get(request: web.Request) -> web.Response:
    overview = await request.app[STATISTICS].overview()
    return web.Response(
        text=statistics_csv(overview),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="statistics.csv"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = (
    ("GET", "/city/statistics", statistics_get),
    ("GET", "/city/statistics.csv", statistics_csv_get),
)
