"""Statistics: the counts a neighbourhood reports about itself, and what the city reads back.

Counts only. Nothing here names a resident, a post or a household.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MonthRange:
    """One calendar month in the node's time zone: `key` is "YYYY-MM", [start, end) in Unix
    seconds."""

    key: str
    start: int
    end: int


@dataclass(frozen=True)
class MonthlyActivity:
    """What a neighbourhood did in one month. `help_resolved` counts the help requests asked
    that month that are resolved by now, so it never exceeds `help_requests`."""

    posts: int = 0
    comments: int = 0
    reactions: int = 0
    help_requests: int = 0
    help_resolved: int = 0


@dataclass(frozen=True)
class NeighbourhoodActivity:
    """A local neighbourhood's figures, as counted on its home node for its report."""

    households_in_register: int
    households_registered: int
    residents: int
    city_message_views: int
    months: dict[str, MonthlyActivity] = field(default_factory=dict)


def percent(part: int | None, whole: int | None) -> float | None:
    """`part` of `whole` in percent, one decimal; None when it cannot be said."""
    if part is None or whole is None or whole <= 0:
        return None
    return round(100 * part / whole, 1)


@dataclass(frozen=True)
class NeighbourhoodStatistics:
    """One neighbourhood's last statistics report, as the city reads it. A figure a remote
    node sent in an unusable shape is None ("not reported"), never a guess."""

    name: str
    uri: str
    host: str
    local: bool
    reported_at: int | None
    households_in_register: int | None
    households_registered: int | None
    residents: int | None
    city_message_views: int | None
    months: dict[str, MonthlyActivity]

    def monthly(self, figure: str, month: str) -> int | None:
        activity = self.months.get(month)
        return None if activity is None else getattr(activity, figure)

    def over(self, figure: str, months: list[str]) -> int | None:
        """The figure summed over `months`; None when no month was reported."""
        values = [self.monthly(figure, m) for m in months]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    @property
    def coverage_percent(self) -> float | None:
        return percent(self.households_registered, self.households_in_register)

    def help_resolved_percent(self, months: list[str]) -> float | None:
        return percent(self.over("help_resolved", months), self.over("help_requests", months))

    @property
    def display_name(self) -> str:
        """The name, with the server for a neighbourhood of another node."""
        return self.name if self.local or not self.host else f"{self.name} ({self.host})"

    def value(self, figure: str, months: list[str] | None = None) -> float | None:
        """One figure by name: a monthly one summed over `months`, or a whole-neighbourhood
        one (`months` None)."""
        if figure == "help_resolved_percent":
            return self.help_resolved_percent(months or [])
        if months is not None:
            return self.over(figure, months)
        return getattr(self, figure)


@dataclass(frozen=True)
class SurveyParticipationRow:
    name: str
    host: str
    local: bool
    responding_households: int | None
    registered_households: int | None

    @property
    def participation_percent(self) -> float | None:
        return percent(self.responding_households, self.registered_households)

    @property
    def display_name(self) -> str:
        return self.name if self.local or not self.host else f"{self.name} ({self.host})"


@dataclass(frozen=True)
class SurveyParticipation:
    """How many households of each neighbourhood answered one survey (from the survey's own
    reports: statistics never counts answers itself)."""

    object_uri: str
    title: str
    rows: list[SurveyParticipationRow]
    total: SurveyParticipationRow

    def chart_rows(self) -> list[tuple[str, float | None]]:
        """(neighbourhood, participation %) for a bar chart."""
        return [(r.display_name, r.participation_percent) for r in self.rows]


@dataclass(frozen=True)
class StatisticsOverview:
    """Everything the statistics page shows. `months` are the last 12 month keys, oldest
    first (the current, unfinished month last); `total` sums the neighbourhoods."""

    months: list[str]
    neighbourhoods: list[NeighbourhoodStatistics]
    total: NeighbourhoodStatistics
    surveys: list[SurveyParticipation]
    generated_at: int

    def chart_rows(
        self, figure: str, months: list[str] | None = None
    ) -> list[tuple[str, float | None]]:
        """(neighbourhood, value) for a bar chart of one figure."""
        return [(n.display_name, n.value(figure, months)) for n in self.neighbourhoods]

    @property
    def recent_months(self) -> list[str]:
        """The months the page shows in its tables: the last six."""
        return self.months[-6:]

    @property
    def last_full_month(self) -> str:
        return self.months[-2]
