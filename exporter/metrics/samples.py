"""What each metric holds, as plain (label values, value) samples.

Both outputs read these functions: the prometheus_client collectors (OpenMetrics, and
tests through get_sample_value) and the cached text renderer. Which series exist, their
labels and their values are decided here once, so the two cannot drift apart; they only
differ in how they write samples down.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporter.metrics import families as f
from exporter.metrics.families import MetricSpec, base_units
from exporter.model.costview import CostView
from exporter.model.health import HealthSnapshot
from exporter.model.snapshot import NamespaceRow, SpaceView

Sample = tuple[tuple[str, ...], float]  # label values in MetricSpec.labels order, value
Samples = dict[MetricSpec, list[Sample]]


def namespace_samples(view: SpaceView) -> Samples:
    """Every per-namespace metric of one namespace but usage (see usage_samples)."""
    samples: Samples = {spec: [] for spec in f.STATE_METRICS}
    _quota_samples(view, samples)
    ns, team = view.namespace, view.team
    for row in view.limitranges:
        record = row.limitrange
        for kind, resource, constraint, nanos in record.items:
            labels = (ns, team, record.name, kind, resource, constraint)
            samples[f.LIMITRANGE].append((labels, base_units(nanos)))
    if view.row is not None:
        _workload_samples(view.row, samples)
    samples[f.LIMITRANGE_VIOLATIONS] = [
        ((ns, team, limitrange, resource, constraint), count)
        for limitrange, resource, constraint, count in view.violations
    ]
    return samples


def _quota_samples(view: SpaceView, samples: Samples) -> None:
    hard, used = samples[f.QUOTA_HARD], samples[f.QUOTA_USED]
    saturation, observed = samples[f.QUOTA_SATURATION], samples[f.QUOTA_OBSERVED]
    for row in view.quotas:
        quota = row.quota
        labels = (view.namespace, view.team, quota.name)
        samples[f.QUOTA_INFO].append(((*labels, quota.scopes), 1))
        used_by_key = dict(quota.used)
        for key, hard_nanos in quota.hard:
            hard.append(((*labels, key), base_units(hard_nanos)))
            used_nanos = used_by_key.get(key)
            # While status.used lacks a key (no status yet) its usage is unknown, not 0.
            if used_nanos is not None:
                used.append(((*labels, key), base_units(used_nanos)))
            if used_nanos is not None and hard_nanos:
                saturation.append(((*labels, key), used_nanos / hard_nanos))
        for key, nanos in row.observed:
            observed.append(((*labels, key), base_units(nanos)))
    samples[f.QUOTA_REJECTIONS] = [
        ((view.namespace, view.team, quota, resource), total)
        for quota, resource, total in view.rejections
    ]


def _workload_samples(row: NamespaceRow, samples: Samples) -> None:
    labels = (row.namespace, row.team)
    for spec, values in ((f.NAMESPACE_REQUESTS, row.requests), (f.NAMESPACE_LIMITS, row.limits)):
        samples[spec] = [((*labels, resource), base_units(nanos)) for resource, nanos in values]
    for spec, counts in (
        (f.NAMESPACE_PODS, row.phases),
        (f.CONTAINERS_WITHOUT_REQUESTS, row.without_requests),
        (f.CONTAINERS_WITHOUT_LIMITS, row.without_limits),
    ):
        samples[spec] = [((*labels, value), count) for value, count in counts]


def usage_samples(view: SpaceView, usage: Mapping[str, int] | None) -> list[Sample]:
    """namespace_usage of one namespace from {"cpu": nanocores, "memory": bytes};
    nothing while the namespace is not in the sample (its usage is unknown)."""
    if usage is None:
        return []
    labels = (view.namespace, view.team)
    return [
        ((*labels, "cpu"), base_units(usage["cpu"])),
        ((*labels, "memory"), float(usage["memory"])),
    ]


def cluster_samples(*, metrics_api_up: bool) -> Samples:
    """The cluster-wide metrics (CLUSTER_METRICS)."""
    return {f.METRICS_API_UP: [((), 1 if metrics_api_up else 0)]}


def health_samples(health: HealthSnapshot, *, version: str) -> Samples:
    """Build info and every informer-health metric (HEALTH_METRICS), sorted by labels."""
    return {
        f.BUILD_INFO: [((version,), 1)],
        f.INFORMER_SYNCED: [((k,), 1 if v else 0) for k, v in sorted(health.synced.items())],
        f.INFORMER_EVENTS: _sorted(health.events_total),
        f.INFORMER_RELISTS: _sorted(health.relists_total),
        f.INFORMER_LAST_EVENT: [((k,), v) for k, v in sorted(health.last_event_timestamp.items())],
        f.API_ERRORS: _sorted(health.api_errors_total),
        f.PARSE_ERRORS: [((k,), v) for k, v in sorted(health.parse_errors_total.items())],
        f.TASK_FAILURES: [((k,), v) for k, v in sorted(health.restarts_total.items())],
    }


def _sorted(counts: Mapping[tuple[str, str], int]) -> list[Sample]:
    return [(labels, count) for labels, count in sorted(counts.items())]


def cost_samples(view: CostView) -> Samples:
    """Every cost metric, from one CostView (exporter.cost builds it)."""
    samples: Samples = {spec: [] for spec in f.COST_METRICS}
    for line in view.lines:
        labels = (line.namespace, line.team, line.resource)
        # A line of a deleted namespace keeps what it accrued this month, but shows no
        # allocation or rate: those series end with the namespace.
        if line.allocation or line.hourly_cost:
            samples[f.ALLOCATION].append((labels, line.allocation))
            samples[f.HOURLY_COST].append((labels, line.hourly_cost))
        samples[f.COST_TOTAL].append((labels, line.cost_total))
        samples[f.COST_MONTH_TO_DATE].append((labels, line.month_to_date))
    for cluster in view.cluster:
        samples[f.CLUSTER_CAPACITY].append(((cluster.resource,), cluster.capacity))
        samples[f.CLUSTER_HOURLY_COST].append(((cluster.resource,), cluster.hourly_cost))
        samples[f.IDLE_HOURLY_COST].append(((cluster.resource,), cluster.idle_hourly_cost))
    for team in view.teams:
        if team.budget is not None:
            samples[f.TEAM_BUDGET].append(((team.team,), team.budget))
        samples[f.TEAM_COST_MONTH_TO_DATE].append(((team.team,), team.month_to_date))
        samples[f.TEAM_COST_PROJECTED].append(((team.team,), team.projected))
    if view.ledger_last_flush_timestamp is not None:
        samples[f.LEDGER_LAST_FLUSH].append(((), view.ledger_last_flush_timestamp))
    samples[f.QUOTA_RECOMMENDED_HARD] = [
        ((advice.namespace, advice.team, advice.quota, advice.resource), advice.suggested)
        for advice in view.recommendations
        if advice.suggested is not None
    ]
    return samples
