"""Collectors for the quota, LimitRange, workload, usage and exporter-health metrics.

Each ``collect()`` reads one immutable snapshot (ClusterState.snapshot(),
InformerHealth.snapshot()) and yields one family per metric: no I/O, no awaits, and
a scrape sees either all of a watch event or none of it. What the families hold comes
from exporter.metrics.samples, which the text renderer (exposition.py) reads too.

These collectors serve OpenMetrics and tests (registry.get_sample_value); /metrics in
the Prometheus text format is rendered by exposition.TextExposition, which caches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from exporter.metrics import families as f
from exporter.metrics.families import Family, MetricSpec
from exporter.metrics.samples import (
    Samples,
    cluster_samples,
    cost_samples,
    health_samples,
    namespace_samples,
    usage_samples,
)
from exporter.model.costview import CostView
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.usage import UsageTable


class ClusterCollector(Collector):
    """Per-namespace metrics from a ClusterState (and usage from a UsageTable, if given),
    plus metrics_api_up (0 without a table: usage is then unknown).

    Scrape on the event loop's thread: state.snapshot() copies live dicts that only
    that thread mutates. The families built from the copy are then immutable.
    """

    def __init__(self, state: ClusterState, *, usage: UsageTable | None = None) -> None:
        self._state, self._usage = state, usage

    def describe(self) -> Iterator[Metric]:
        """Empty families naming what collect() yields (spares a collect at register)."""
        return (spec.family() for spec in (*f.STATE_METRICS, *f.CLUSTER_METRICS))

    def collect(self) -> Iterator[Metric]:
        """One family per metric, from the state's current snapshot."""
        snapshot = self._state.snapshot()
        usage = self._usage.namespace_usage() if self._usage is not None else {}
        families = {spec: spec.family() for spec in f.STATE_METRICS}
        for view in snapshot.spaces:
            _add(families, namespace_samples(view))
            samples = usage_samples(view, usage.get(view.namespace))
            _add(families, {f.NAMESPACE_USAGE: samples})
        yield from families.values()
        up = self._usage is not None and self._usage.up
        yield from families_of(cluster_samples(metrics_api_up=up))


class HealthCollector(Collector):
    """Build info and informer health metrics from an InformerHealth."""

    def __init__(self, health: InformerHealth, *, version: str) -> None:
        self._health, self._version = health, version

    def describe(self) -> Iterator[Metric]:
        """Empty families naming what collect() yields."""
        return (spec.family() for spec in f.HEALTH_METRICS)

    def collect(self) -> Iterator[Metric]:
        """One family per metric, from a copy of the health counters."""
        return families_of(health_samples(self._health.snapshot(), version=self._version))


class CostCollector(Collector):
    """Allocation, cost, capacity, budgets and ledger freshness from a CostView source."""

    def __init__(self, view: Callable[[], CostView]) -> None:
        self._view = view

    def describe(self) -> Iterator[Metric]:
        """Empty families naming what collect() yields."""
        return (spec.family() for spec in f.COST_METRICS)

    def collect(self) -> Iterator[Metric]:
        """One family per metric, from the current CostView."""
        return families_of(cost_samples(self._view()))


def register_collectors(
    registry: CollectorRegistry,
    *,
    state: ClusterState,
    health: InformerHealth,
    version: str,
    usage: UsageTable | None = None,
    cost: Callable[[], CostView] | None = None,
) -> tuple[Collector, ...]:
    """Create the collectors and register them on ``registry`` (never the global one)."""
    collectors: tuple[Collector, ...] = (
        ClusterCollector(state, usage=usage),
        HealthCollector(health, version=version),
        *((CostCollector(cost),) if cost is not None else ()),
    )
    for collector in collectors:
        registry.register(collector)
    return collectors


def families_of(samples: Samples) -> Iterator[Family]:
    """One family per metric of ``samples``, in its order."""
    for spec, values in samples.items():
        family = spec.family()
        _fill(family, values)
        yield family


def _add(families: dict[MetricSpec, Family], samples: Samples) -> None:
    for spec, values in samples.items():
        _fill(families[spec], values)


def _fill(family: Family, samples: Iterable[tuple[tuple[str, ...], float]]) -> None:
    for labels, value in samples:
        family.add_metric(list(labels), value)
