"""Monthly budgets per team, spend so far and the month-end projection.

Where a budget comes from, per team: the pricing file's ``budgets`` entry when it has
one (FinOps owns that file, so it wins); otherwise the sum of the
``quotameter.io/monthly-budget`` annotations of the team's namespaces (a team of
several namespaces may budget each, and its budget is their sum). A team with
neither has no budget (no quotameter_team_budget series).

Spend is the team's own allocated cost (its namespaces' and vcluster pods'); shared
namespaces and idle capacity are spread over teams only in the chargeback, so a budget
alert fires on what a team itself runs. The projection assumes the current hourly cost
holds until the end of the UTC month: month-to-date + hourly cost x hours left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from exporter.cost.days import hours_left_in_month
from exporter.model.costview import TeamCost
from exporter.model.records import NamespaceRecord

CostKey = tuple[str, str, str]  # (namespace, team, resource)


def team_budgets(
    *,
    configured: Mapping[str, float],
    namespaces: Iterable[NamespaceRecord],
    team_of: Callable[[str], str],
) -> dict[str, float]:
    """Budget per team: the configured one, else the sum of its namespaces' annotations."""
    annotated: dict[str, float] = {}
    for record in namespaces:
        if record.monthly_budget is not None:
            team = team_of(record.name)
            annotated[team] = annotated.get(team, 0.0) + float(record.monthly_budget)
    return annotated | dict(configured)


def team_costs(
    *,
    budgets: Mapping[str, float],
    month_to_date: Mapping[CostKey, float],
    hourly: Mapping[str, float],
    now: float,
) -> tuple[TeamCost, ...]:
    """Budget, month-to-date and projection of every team that has a budget or a cost,
    sorted by team. ``hourly`` is each team's cost per hour now."""
    spent: dict[str, float] = {}
    for (_, team, _), cost in month_to_date.items():
        spent[team] = spent.get(team, 0.0) + cost
    hours_left = hours_left_in_month(now)
    teams = sorted(set(budgets) | set(spent) | {t for t, h in hourly.items() if h})
    return tuple(
        TeamCost(
            team=team,
            budget=budgets.get(team),
            month_to_date=spent.get(team, 0.0),
            projected=spent.get(team, 0.0) + hourly.get(team, 0.0) * hours_left,
        )
        for team in teams
    )
