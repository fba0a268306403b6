"""Fleet chargeback, the pure part: PromQL text, day windows, folding answers.

`fleet` sends these queries and hands the answers to a `Collector`. Every
query is an instant query evaluated at the end of a window (a UTC day, or
the elapsed part of today) that looks back over the window; see `fleet` for
why each quantity is integrated the way it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from exporter.cost.distribution import Usage
from exporter.cost.records import COST_RESOURCES, Owner
from exporter.fleet.promapi import Answer, Sample

STEP = 60  # seconds between subquery evaluations over a whole day
INSTANTS = 1440  # evaluations per series and window: a day / STEP
_GIB = 2.0**30
_BY_OWNER = "cluster, namespace, team, vcluster, virtual_namespace, resource"
_BY_RESOURCE = "cluster, resource"


def cost_query(seconds: int, step: int) -> str:
    """Money per owner and resource over the `seconds` before the evaluation time."""
    return f"sum by ({_BY_OWNER}) (increase(quotameter_cost_total[{seconds}s]))"


def _integral(expr: str, seconds: int, step: int) -> str:
    # `seconds - 1`: a closed range (Prometheus 2) would count one step twice at the edge.
    return f"sum_over_time(({expr})[{seconds - 1}s:{step}s])"


def allocation_query(seconds: int, step: int) -> str:
    """Allocation (base units) summed over `step`-spaced instants; x step = unit-seconds."""
    inner = f"sum by ({_BY_OWNER}) (quotameter_allocation)"
    return f"sum by ({_BY_OWNER}) ({_integral(inner, seconds, step)})"


def idle_cost_query(seconds: int, step: int) -> str:
    """Idle money per hour summed over `step`-spaced instants; x step / 3600 = money."""
    inner = f"sum by ({_BY_RESOURCE}) (quotameter_idle_hourly_cost)"
    return f"sum by ({_BY_RESOURCE}) ({_integral(inner, seconds, step)})"


def idle_units_query(seconds: int, step: int) -> str:
    """Idle capacity (capacity - allocation, floored at 0) summed over `step`-spaced instants."""
    capacity = f"sum by ({_BY_RESOURCE}) (quotameter_cluster_capacity)"
    # `or 0 * capacity`: a resource nobody allocates (an unused GPU node) is wholly idle.
    allocated = f"(sum by ({_BY_RESOURCE}) (quotameter_allocation) or 0 * {capacity})"
    inner = f"clamp_min({capacity} - {allocated}, 0)"
    return f"sum by ({_BY_RESOURCE}) ({_integral(inner, seconds, step)})"


_ANY_COST = "group by (cluster) (quotameter_cost_total)"  # 1 per cluster while it has cost


# A subquery's instants are multiples of its step in Unix time, the last at or before the
# evaluation time. Data that began after that last instant (a daemon started less than
# a step before `now`) is seen by none of them: `or` the evaluation time itself, which
# stands for the data's last step. It is written `* 0 + time()`: VictoriaMetrics answers
# `timestamp()` of an aggregate with nothing outside a subquery.


def coverage_query(seconds: int, step: int) -> str:
    """Instants (`step` apart) at which the cluster had any cost series."""
    return f"count_over_time(({_ANY_COST})[{seconds - 1}s:{step}s]) or {_ANY_COST}"


def first_query(seconds: int, step: int) -> str:
    """The first of those instants (Unix seconds): the data began at most `step` before it."""
    instants = f"min_over_time(timestamp({_ANY_COST})[{seconds - 1}s:{step}s])"
    return f"{instants} or ({_ANY_COST} * 0 + time())"


@dataclass(frozen=True, slots=True)
class Window:
    """A UTC day (or the elapsed part of today): evaluate at `at`, look back `seconds`,
    integrate gauges at `step`-second instants."""

    day: str
    at: int  # Unix seconds
    seconds: int
    step: int


def step_for(seconds: int, *, max_step: int = STEP) -> int:
    """At most `INSTANTS` instants per window, but never coarser than `max_step` seconds.

    A whole day gets 60 s; the few minutes of a fresh day get 1 s, so a short window
    is not integrated from two or three instants.
    """
    return max(1, min(max_step, seconds // INSTANTS))


def windows(start: datetime, end: datetime, *, now: datetime, max_step: int = STEP) -> list[Window]:
    """The days of [start, end) begun by `now`; today's window ends at `now` (whole seconds)."""
    out: list[Window] = []
    day = start
    while day < end and day < now:
        close = min(day + timedelta(days=1), end, now)
        seconds = int((close - day).total_seconds())
        if seconds >= 2:  # `seconds - 1` must stay a positive range
            step = step_for(seconds, max_step=max_step)
            at = int(day.timestamp()) + seconds
            out.append(Window(day=day.date().isoformat(), at=at, seconds=seconds, step=step))
        day += timedelta(days=1)
    return out


def narrow(window: Window, first_seen: float | None, *, max_step: int = STEP) -> Window | None:
    """`window` cut to start where its data does, with a step to match; None without data.

    A daemon started two minutes ago must not be integrated at the step of the whole
    day so far (a minute or so): its short span gets up to INSTANTS instants of its own.
    """
    if first_seen is None:
        return None
    begin = max(window.at - window.seconds, int(first_seen) - window.step)
    seconds = min(max(window.at - begin, 2), window.seconds)
    return Window(window.day, window.at, seconds, step_for(seconds, max_step=max_step))


def resource_index(label: str) -> int | None:
    """The COST_RESOURCES position of a `resource` label value (any *gpu* name is gpu)."""
    if label in COST_RESOURCES:
        return COST_RESOURCES.index(label)
    return COST_RESOURCES.index("gpu") if "gpu" in label.lower() else None


QUERIES: Mapping[str, Callable[[int, int], str]] = {
    "cost": cost_query,
    "allocation": allocation_query,
    "idle_cost": idle_cost_query,
    "idle_units": idle_units_query,
    "coverage": coverage_query,
    "first": first_query,
}
PROBES = ("coverage", "first")  # asked over whole windows, before the others
MEASURES = ("cost", "allocation", "idle_cost", "idle_units")  # then over the narrowed ones


def _unit_divisor(r: int) -> float:
    # Metrics carry bytes; the CSV's memory and storage columns are GiB-hours.
    return _GIB if COST_RESOURCES[r] in ("memory", "storage") else 1.0


@dataclass(slots=True)
class ClusterTotals:
    """What one cluster's rows are built from."""

    owners: dict[Owner, Usage] = field(default_factory=dict)
    idle: Usage = field(default_factory=Usage.zero)
    observed_seconds: float = 0.0


@dataclass(slots=True)
class Collector:
    """Adds query answers into per-cluster totals; `default_cluster` fills a missing label."""

    default_cluster: str
    clusters: dict[str, ClusterTotals] = field(default_factory=dict)
    unknown_resources: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)  # kinds of query that returned samples

    def totals(self, sample: Sample) -> ClusterTotals:
        """The totals of the sample's cluster."""
        name = sample.labels.get("cluster", self.default_cluster)
        return self.clusters.setdefault(name, ClusterTotals())

    def add(self, kind: str, answer: Answer, *, step: int) -> None:
        """Fold in one answer of query `kind` whose instants were `step` seconds apart."""
        if kind == "first":
            return  # only used to cut the windows
        if answer.samples:
            self.seen.add(kind)
        for sample in answer.samples:
            totals = self.totals(sample)
            if kind == "coverage":
                totals.observed_seconds += sample.value * step
                continue
            label = sample.labels.get("resource", "")
            r = resource_index(label)
            if r is None:
                self.unknown_resources.add(label)
            elif kind == "cost":
                self._owner(totals, sample).cost[r] += sample.value
            elif kind == "allocation":
                units = sample.value * step / _unit_divisor(r)
                self._owner(totals, sample).unit_seconds[r] += units
            elif kind == "idle_cost":
                totals.idle.cost[r] += sample.value * step / 3600.0
            else:
                totals.idle.unit_seconds[r] += sample.value * step / _unit_divisor(r)

    @staticmethod
    def _owner(totals: ClusterTotals, sample: Sample) -> Usage:
        labels = sample.labels
        owner = Owner(
            namespace=labels.get("namespace", ""),
            team=labels.get("team", ""),
            vcluster=labels.get("vcluster", ""),
            virtual_namespace=labels.get("virtual_namespace", ""),
        )
        return totals.owners.setdefault(owner, Usage.zero())
