"""The Costs dashboard: what each team spends, on what, how well it is used, and the budget."""

from __future__ import annotations

from dashboards.frame import chargeback_link, dashboard
from dashboards.grafana import (
    CLUSTER_SCOPE,
    TEAM_SCOPE,
    Json,
    Query,
    metric,
    thresholds,
)
from dashboards.visuals import barchart, bargauge, piechart, timeseries

EFFICIENCY = thresholds((None, "red"), (0.3, "orange"), (0.6, "green"))
COMPUTE = 'resource=~"cpu|memory"'


def _month_to_date_by_team(unit: str) -> Json:
    link = chargeback_link("team")
    return bargauge(
        "Month-to-date cost by team",
        description="Each team's own allocated cost since the start of the month (UTC), "
        "from the ledger: what its budget is measured against. Shared namespaces and idle "
        "capacity are spread over the teams only in the chargeback CSV (panel link).",
        queries=[
            Query(
                "sort_desc(sum by (team) "
                f"({metric('quotameter_team_cost_month_to_date', scope=TEAM_SCOPE)}))",
                legend="{{team}}",
                instant=True,
            )
        ],
        unit=unit,
        links=[{"targetBlank": True, "title": link["title"], "url": link["url"]}],
    )


def _rate_by_team(unit: str) -> Json:
    return timeseries(
        "Cost per hour by team",
        description="The rate at which each team's cost accrues, from the exactly "
        "integrated cost counter, stacked: the top line is the allocated cost of the "
        "selected namespaces per hour.",
        queries=[
            Query(
                f"sum by (team) (rate({metric('quotameter_cost_total')}[$__rate_interval])) * 3600",
                legend="{{team}}",
            )
        ],
        unit=unit,
        stacked=True,
    )


def _by_resource(unit: str) -> Json:
    return piechart(
        "Month-to-date cost by resource",
        description="Month-to-date cost of the selected namespaces by resource "
        "(cpu, memory, gpu, storage).",
        queries=[
            Query(
                f"sum by (resource) ({metric('quotameter_cost_month_to_date')})",
                legend="{{resource}}",
                instant=True,
            )
        ],
        unit=unit,
    )


def _top_namespaces(unit: str) -> Json:
    mtd = metric("quotameter_cost_month_to_date")
    return bargauge(
        "Top 10 namespaces by month-to-date cost",
        description="The ten most expensive namespaces this month, before shared and idle "
        "cost are spread.",
        queries=[
            Query(
                f"sort_desc(topk(10, sum by (cluster, namespace, team) ({mtd})))",
                legend="{{namespace}} ({{team}})",
                instant=True,
            )
        ],
        unit=unit,
        size=(8, 8),
    )


def _idle_and_shared(unit: str) -> Json:
    shared = metric(
        "quotameter_hourly_cost", 'namespace=~"$shared_namespaces"', scope=CLUSTER_SCOPE
    )
    return timeseries(
        "Idle and shared cost per hour",
        description="Idle: node capacity cost not allocated to any pod, per resource. "
        "Shared: the cost of the shared namespaces (the `Shared namespaces` box; keep it "
        "equal to the pricing file's shared.namespaces), which chargeback spreads over the "
        "other teams. Cluster-wide: the team and namespace selections do not apply.",
        queries=[
            Query(
                f"sum by (resource) ({metric('quotameter_idle_hourly_cost', scope=CLUSTER_SCOPE)})",
                legend="idle {{resource}}",
            ),
            Query(f"sum by (namespace) ({shared})", legend="shared {{namespace}}"),
        ],
        unit=unit,
        stacked=True,
        size=(8, 8),
    )


def _efficiency() -> Json:
    usage = metric("quotameter_namespace_usage", COMPUTE)
    allocation = metric("quotameter_allocation", COMPUTE)
    return timeseries(
        "Efficiency: usage / allocation",
        description="Of the CPU and memory each team pays for (allocation = max(request, "
        "usage)), the share its pods use. Low means requests far above need.",
        queries=[
            Query(
                f"sum by (team, resource) ({usage}) / sum by (team, resource) ({allocation})",
                legend="{{team}} {{resource}}",
            )
        ],
        unit="percentunit",
        steps=EFFICIENCY,
    )


def _budgets(unit: str) -> Json:
    scope = TEAM_SCOPE
    return barchart(
        "Budget vs projected cost per team",
        description="The monthly budget (pricing file or the namespace annotation "
        "quotameter.io/monthly-budget), the month-end projection and the month to date.",
        queries=[
            # Each cluster's daemon reports the same team budget: do not add them up.
            Query(
                f"max by (team) ({metric('quotameter_team_budget', scope=scope)})",
                instant=True,
                table=True,
            ),
            Query(
                f"sum by (team) ({metric('quotameter_team_cost_projected', scope=scope)})",
                instant=True,
                table=True,
            ),
            Query(
                f"sum by (team) ({metric('quotameter_team_cost_month_to_date', scope=scope)})",
                instant=True,
                table=True,
            ),
        ],
        unit=unit,
        x_field="team",
        columns={
            "Value #A": "Budget",
            "Value #B": "Projected month end",
            "Value #C": "Month to date",
        },
    )


def build(currency: str) -> Json:
    """The Costs dashboard; `currency` is the Grafana unit for money."""
    panels = [
        _month_to_date_by_team(currency),
        _rate_by_team(currency),
        _by_resource(currency),
        _top_namespaces(currency),
        _idle_and_shared(currency),
        _efficiency(),
        _budgets(currency),
    ]
    return dashboard(
        key="costs",
        title="quotameter / Costs",
        description="Per-team cost from quotameter's ledger: month to date, rate, "
        "breakdown, idle and shared cost, efficiency and budgets. Months are UTC.",
        panels=panels,
        time_from="now-7d",
        timezone="utc",
    )
