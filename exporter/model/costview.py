"""CostView: an immutable snapshot of cost, for the metrics layer to read.

``exporter.cost`` builds it (``CostMeter.view(now)``) and a metrics collector reads it;
the collector never imports ``exporter.cost``. Plain frozen data, safe to read at
leisure while the event loop goes on. How its fields map onto the SPEC's metrics:

==============================================  ================================
metric                                          field
==============================================  ================================
quotameter_allocation{namespace,team,resource}  CostLine.allocation
quotameter_hourly_cost{namespace,team,resource} CostLine.hourly_cost
quotameter_cost_total{...} (counter)            CostLine.cost_total
quotameter_cost_month_to_date{...}              CostLine.month_to_date
quotameter_cluster_capacity{resource}           ClusterCost.capacity
quotameter_cluster_hourly_cost{resource}        ClusterCost.hourly_cost
quotameter_idle_hourly_cost{resource}           ClusterCost.idle_hourly_cost
quotameter_team_budget{team}                    TeamCost.budget (no series when None)
quotameter_team_cost_month_to_date{team}        TeamCost.month_to_date
quotameter_team_cost_projected{team}            TeamCost.projected
quotameter_ledger_last_flush_timestamp_seconds  CostView.ledger_last_flush_timestamp
quotameter_quota_recommended_hard{...}          Recommendation.suggested
==============================================  ================================

``resource`` is one of cpu, memory, gpu, storage. Amounts are in Prometheus base units:
cpu in cores, memory and storage in bytes, gpu in devices; money in ``currency``.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.model.rightsizing import Recommendation


@dataclass(frozen=True, slots=True)
class CostLine:
    """Cost of one namespace x team x resource (vcluster owners summed into their host
    namespace). A line exists while something is allocated, or cost accrued this month."""

    namespace: str
    team: str
    resource: str
    allocation: float  # max(request, usage) now, summed over pods (or claimed bytes)
    hourly_cost: float  # currency per hour, now
    cost_total: float  # currency since this process started; never decreases
    month_to_date: float  # currency this UTC month, from the ledger plus unflushed


@dataclass(frozen=True, slots=True)
class ClusterCost:
    """The cluster's capacity of one resource and what it costs."""

    resource: str
    capacity: float  # node capacity (cpu, memory, gpu) or claimed bytes (storage)
    hourly_cost: float  # capacity x node prices, currency per hour
    idle_hourly_cost: float  # hourly_cost - allocated hourly cost, floored at 0


@dataclass(frozen=True, slots=True)
class TeamCost:
    """One team's monthly budget, spend this UTC month and month-end projection."""

    team: str
    budget: float | None  # currency per month; None when the team has no budget
    month_to_date: float
    projected: float  # month_to_date + hourly cost now x hours left in the month


@dataclass(frozen=True, slots=True)
class CostView:
    """Everything exported about cost at one moment; tuples sorted by their keys."""

    currency: str
    lines: tuple[CostLine, ...]  # sorted by (namespace, team, resource)
    cluster: tuple[ClusterCost, ...]  # sorted by resource
    teams: tuple[TeamCost, ...]  # sorted by team
    ledger_last_flush_timestamp: float | None  # Unix seconds; None before the first flush
    recommendations: tuple[Recommendation, ...] = ()  # right-sizing, default window
