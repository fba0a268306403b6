"""Collectors for the quota, LimitRange, workload and exporter-health metrics.

Each ``collect()`` reads one immutable snapshot (ClusterState.snapshot(),
InformerHealth.snapshot()) and yields one family per metric: no I/O, no awaits, and
a scrape sees either all of a watch event or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from exporter.metrics import families as f
from exporter.metrics.families import base_units
from exporter.model.health import HealthSnapshot, InformerHealth
from exporter.model.snapshot import LimitRangeRow, NamespaceRow, QuotaRow
from exporter.model.state import ClusterState


class ClusterCollector(Collector):
    """Quota, LimitRange and per-namespace workload metrics from a ClusterState.

    Scrape on the event loop's thread: state.snapshot() copies live dicts that only
    that thread mutates. The families built from the copy are then immutable.
    """

    def __init__(self, state: ClusterState) -> None:
        self._state = state

    def describe(self) -> Iterator[Metric]:
        """Empty families naming what collect() yields (spares a collect at register)."""
        return (spec.family() for spec in f.STATE_METRICS)

    def collect(self) -> Iterator[Metric]:
        """One family per metric, from the state's current snapshot."""
        snapshot = self._state.snapshot()
        yield from quota_families(snapshot.quotas)
        yield limitrange_family(snapshot.limitranges)
        yield from namespace_families(snapshot.namespaces)


class HealthCollector(Collector):
    """Build info and informer health metrics from an InformerHealth."""

    def __init__(self, health: InformerHealth, *, version: str) -> None:
        self._health, self._version = health, version

    def describe(self) -> Iterator[Metric]:
        """Empty families naming what collect() yields."""
        return (spec.family() for spec in f.HEALTH_METRICS)

    def collect(self) -> Iterator[Metric]:
        """One family per metric, from a copy of the health counters."""
        build = f.BUILD_INFO.family()
        build.add_metric([self._version], 1)
        yield build
        yield from health_families(self._health.snapshot())


def register_collectors(
    registry: CollectorRegistry, *, state: ClusterState, health: InformerHealth, version: str
) -> tuple[ClusterCollector, HealthCollector]:
    """Create both collectors and register them on ``registry`` (never the global one)."""
    collectors = (ClusterCollector(state), HealthCollector(health, version=version))
    for collector in collectors:
        registry.register(collector)
    return collectors


def quota_families(rows: Iterable[QuotaRow]) -> Iterator[Metric]:
    """quota_hard / used / saturation_ratio / observed_used / info."""
    hard, used = f.QUOTA_HARD.family(), f.QUOTA_USED.family()
    saturation, observed = f.QUOTA_SATURATION.family(), f.QUOTA_OBSERVED.family()
    info = f.QUOTA_INFO.family()
    for row in rows:
        quota = row.quota
        labels = [quota.namespace, row.team, quota.name]
        info.add_metric([*labels, quota.scopes], 1)
        used_by_key = dict(quota.used)
        for key, hard_nanos in quota.hard:
            hard.add_metric([*labels, key], base_units(hard_nanos))
            used_nanos = used_by_key.get(key)
            # While status.used lacks a key (no status yet) its usage is unknown, not 0.
            if used_nanos is not None:
                used.add_metric([*labels, key], base_units(used_nanos))
            if used_nanos is not None and hard_nanos:
                saturation.add_metric([*labels, key], used_nanos / hard_nanos)
        for key, nanos in row.observed:
            observed.add_metric([*labels, key], base_units(nanos))
    return iter((hard, used, saturation, observed, info))


def limitrange_family(rows: Iterable[LimitRangeRow]) -> Metric:
    """quotameter_limitrange: one sample per type x resource x constraint."""
    family = f.LIMITRANGE.family()
    for row in rows:
        record = row.limitrange
        for kind, resource, constraint, nanos in record.items:
            labels = [record.namespace, row.team, record.name, kind, resource, constraint]
            family.add_metric(labels, base_units(nanos))
    return family


def namespace_families(rows: Iterable[NamespaceRow]) -> Iterator[Metric]:
    """namespace_requests / limits / pods / containers_without_requests / _limits."""
    requests, limits = f.NAMESPACE_REQUESTS.family(), f.NAMESPACE_LIMITS.family()
    pods = f.NAMESPACE_PODS.family()
    no_requests = f.CONTAINERS_WITHOUT_REQUESTS.family()
    no_limits = f.CONTAINERS_WITHOUT_LIMITS.family()
    for row in rows:
        labels = [row.namespace, row.team]
        for resource, nanos in row.requests:
            requests.add_metric([*labels, resource], base_units(nanos))
        for resource, nanos in row.limits:
            limits.add_metric([*labels, resource], base_units(nanos))
        for phase, count in row.phases:
            pods.add_metric([*labels, phase], count)
        for resource, count in row.without_requests:
            no_requests.add_metric([*labels, resource], count)
        for resource, count in row.without_limits:
            no_limits.add_metric([*labels, resource], count)
    return iter((requests, limits, pods, no_requests, no_limits))


def health_families(health: HealthSnapshot) -> Iterator[Metric]:
    """informer_* , api_errors_total and parse_errors_total."""
    synced, last_event = f.INFORMER_SYNCED.family(), f.INFORMER_LAST_EVENT.family()
    events, relists = f.INFORMER_EVENTS.family(), f.INFORMER_RELISTS.family()
    api_errors, parse_errors = f.API_ERRORS.family(), f.PARSE_ERRORS.family()
    for kind, is_synced in sorted(health.synced.items()):
        synced.add_metric([kind], 1 if is_synced else 0)
    for kind, timestamp in sorted(health.last_event_timestamp.items()):
        last_event.add_metric([kind], timestamp)
    for (kind, event_type), count in sorted(health.events_total.items()):
        events.add_metric([kind, event_type], count)
    for (kind, reason), count in sorted(health.relists_total.items()):
        relists.add_metric([kind, reason], count)
    for (kind, code), count in sorted(health.api_errors_total.items()):
        api_errors.add_metric([kind, code], count)
    for kind, count in sorted(health.parse_errors_total.items()):
        parse_errors.add_metric([kind], count)
    return iter((synced, events, relists, last_event, api_errors, parse_errors))
