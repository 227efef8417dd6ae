"""Statistics per neighbourhood, across local and remote nodes: counts only.

Each neighbourhood's home node counts its own life (households registered against the
register, messages, comments, reactions, help requests and how many were resolved, views of
city messages) and reports the counts to every city it follows, through `Reporting`: to a
city on the same node straight into `city_reports`, to a remote one as a signed
`quartier:Report`. The city reads only those reports, whichever node they came from, so
local and remote neighbourhoods are counted by the same code and shown side by side.

Survey participation is not counted again here: the surveys feature reports responding and
registered households per survey, and the statistics page reads those reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.config import Config
from node.federation.runtime import Federation
from node.models.city import CityReport, Figures, ReportState, ReportSubject
from node.models.statistics import (
    MonthlyActivity,
    MonthRange,
    NeighbourhoodActivity,
    NeighbourhoodStatistics,
    StatisticsOverview,
    SurveyParticipation,
    SurveyParticipationRow,
)
from node.services.city_broadcast import CityBroadcast
from node.services.reporting import Reporting
from node.storage import city_reports as city_reports_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import statistics as statistics_store
from node.storage.database import Database

KIND = "statistics"
SURVEY_RESULTS = "survey_results"
MONTHS_REPORTED = 12
# Larger than any real count: a remote figure above it is nonsense, shown as "not reported".
_LARGEST_COUNT = 10**12
_MONTHLY_FIELDS = {
    "posts": "posts",
    "comments": "comments",
    "reactions": "reactions",
    "helpRequests": "help_requests",
    "helpResolved": "help_resolved",
}


def month_ranges(now: int, timezone: str, count: int = MONTHS_REPORTED) -> list[MonthRange]:
    """The last `count` calendar months in `timezone`, oldest first, the current one last."""
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now, tz)
    index = today.year * 12 + today.month - 1  # months since year 0, to step back simply
    ranges = []
    for i in range(index - count + 1, index + 1):
        start = datetime(i // 12, i % 12 + 1, 1, tzinfo=tz)
        end = datetime((i + 1) // 12, (i + 1) % 12 + 1, 1, tzinfo=tz)
        ranges.append(
            MonthRange(
                f"{start.year:04d}-{start.month:02d}",
                int(start.timestamp()),
                int(end.timestamp()),
            )
        )
    return ranges


def figures_of(activity: NeighbourhoodActivity) -> dict[str, Any]:
    """A neighbourhood's counts as they travel in a statistics report."""
    return {
        "householdsInRegister": activity.households_in_register,
        "householdsRegistered": activity.households_registered,
        "residents": activity.residents,
        "cityMessageViews": activity.city_message_views,
        "months": {
            key: {wire: getattr(month, field) for wire, field in _MONTHLY_FIELDS.items()}
            for key, month in activity.months.items()
        },
    }


def _count(value: Any) -> int | None:
    """A count from a report, or None when it is not one (remote figures are untrusted)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= _LARGEST_COUNT else None


def _month(value: Any) -> MonthlyActivity | None:
    if not isinstance(value, dict):
        return None
    counts = {field: _count(value.get(wire)) for wire, field in _MONTHLY_FIELDS.items()}
    if any(c is None for c in counts.values()):
        return None
    return MonthlyActivity(**counts)  # type: ignore[arg-type]


def statistics_of(report: CityReport, own_host: str, months: list[str]) -> NeighbourhoodStatistics:
    """One neighbourhood's report as the city shows it; odd values become "not reported"."""
    figures = report.figures if isinstance(report.figures, dict) else {}
    reported_months = figures.get("months")
    if not isinstance(reported_months, dict):
        reported_months = {}
    parsed = {key: _month(reported_months.get(key)) for key in months}
    return NeighbourhoodStatistics(
        name=report.neighbourhood_name,
        uri=report.neighbourhood_uri,
        host=report.host,
        local=report.host == own_host,
        reported_at=report.received_at,
        households_in_register=_count(figures.get("householdsInRegister")),
        households_registered=_count(figures.get("householdsRegistered")),
        residents=_count(figures.get("residents")),
        city_message_views=_count(figures.get("cityMessageViews")),
        months={key: month for key, month in parsed.items() if month is not None},
    )


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def total_of(rows: list[NeighbourhoodStatistics], months: list[str]) -> NeighbourhoodStatistics:
    """The sum of every neighbourhood's figures; months nobody reported stay out."""
    totals: dict[str, MonthlyActivity] = {}
    for key in months:
        reported = [r.months[key] for r in rows if key in r.months]
        if reported:
            totals[key] = MonthlyActivity(
                **{
                    field: sum(getattr(m, field) for m in reported)
                    for field in _MONTHLY_FIELDS.values()
                }
            )
    return NeighbourhoodStatistics(
        name="",
        uri="",
        host="",
        local=False,
        reported_at=None,
        households_in_register=_sum([r.households_in_register for r in rows]),
        households_registered=_sum([r.households_registered for r in rows]),
        residents=_sum([r.residents for r in rows]),
        city_message_views=_sum([r.city_message_views for r in rows]),
        months=totals,
    )


def survey_participation(
    reports: list[CityReport], titles: dict[str, str], own_host: str
) -> list[SurveyParticipation]:
    """Responding and registered households per survey and neighbourhood, from the surveys'
    own reports."""
    by_survey: dict[str, list[SurveyParticipationRow]] = {}
    for report in reports:
        figures = report.figures if isinstance(report.figures, dict) else {}
        by_survey.setdefault(report.subject_uri, []).append(
            SurveyParticipationRow(
                name=report.neighbourhood_name,
                host=report.host,
                local=report.host == own_host,
                responding_households=_count(figures.get("respondingHouseholds")),
                registered_households=_count(figures.get("registeredHouseholds")),
            )
        )
    surveys = []
    for uri, rows in by_survey.items():
        rows.sort(key=lambda r: (not r.local, r.name.casefold(), r.host))
        total = SurveyParticipationRow(
            name="",
            host="",
            local=False,
            responding_households=_sum([r.responding_households for r in rows]),
            registered_households=_sum([r.registered_households for r in rows]),
        )
        surveys.append(SurveyParticipation(uri, titles.get(uri, ""), rows, total))
    surveys.sort(key=lambda s: (s.title.casefold(), s.object_uri))
    return surveys


class StatisticsReports:
    """The report source: what each local neighbourhood tells the cities it reports to."""

    kind = KIND
    ever_final = False  # see ReportSource: computing the figures is the costly part

    def __init__(self, config: Config, federation: Federation) -> None:
        self._timezone = config.node.timezone
        self._actors = federation.actors

    def subjects(self, conn, now: int) -> list[tuple[ReportSubject, ReportState | None]]:
        """Every (city, neighbourhood) pair: the city on this node reports on all local
        neighbourhoods; a remote city on those of our neighbourhoods that follow it. (Never
        final, so none is left out.)"""
        neighbourhoods = neighbourhoods_store.list_neighbourhoods(conn)
        city = self._actors.city()
        subjects = []
        if city is not None:
            subjects += [ReportSubject(city.uri, city.uri, n.id) for n in neighbourhoods]
        by_key = {self._actors.neighbourhood(n.slug, n.name).key: n for n in neighbourhoods}
        for local_actor, city_uri in statistics_store.list_followed_cities(conn):
            neighbourhood = by_key.get(local_actor)
            if neighbourhood is not None and (city is None or city_uri != city.uri):
                subjects.append(ReportSubject(city_uri, city_uri, neighbourhood.id))
        return [
            (s, city_reports_store.get_report_state(conn, s.subject_uri, KIND, s.neighbourhood_id))
            for s in subjects
        ]

    def figures(
        self, conn, subject: ReportSubject, previous: ReportState | None, now: int
    ) -> Figures:
        months = month_ranges(now, self._timezone)
        activity = statistics_store.get_neighbourhood_activity(
            conn, subject.neighbourhood_id, months
        )
        return Figures(figures_of(activity))  # never final: a neighbourhood's life goes on


class Statistics:
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
        reporting.register(StatisticsReports(config, federation))

    async def overview(self) -> StatisticsOverview:
        """What the city's neighbourhoods, local and remote, last reported; counts only."""
        now = int(self._clock())
        months = [m.key for m in month_ranges(now, self._config.node.timezone)]
        actors = self._federation.actors
        city = actors.city()

        def read(conn):
            if city is None:  # a node without a city receives no reports
                return [], [], {}
            statistics = city_reports_store.list_city_reports(conn, city.uri, KIND)
            surveys = city_reports_store.list_city_reports_of_kind(conn, SURVEY_RESULTS)
            return statistics, surveys, statistics_store.list_survey_titles(conn)

        statistics, survey_reports, titles = await self._db.read("statistics_overview", read)
        rows = [statistics_of(r, actors.host, months) for r in statistics]
        rows.sort(key=lambda r: (not r.local, r.name.casefold(), r.host))
        return StatisticsOverview(
            months=months,
            neighbourhoods=rows,
            total=total_of(rows, months),
            surveys=survey_participation(survey_reports, titles, actors.host),
            generated_at=now,
        )
