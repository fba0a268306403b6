"""The metrics quotameter's state collectors export: name, type, labels and HELP text.

One table, so the names live in one place (SPEC.md "Metrics") and a test can hold the
README's metrics reference to it. Units are Prometheus base units and are named in
each HELP text, since the SPEC's names carry no unit suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

GAUGE, COUNTER = "gauge", "counter"
Family = CounterMetricFamily | GaugeMetricFamily  # what add_metric is called on
_NS = ("namespace", "team")
_QUOTA = (*_NS, "quota", "resource")
_UNIT = "cores for CPU, bytes for memory and storage, else a plain count"


# eq=False: specs are singletons used as dict keys on every scrape, and identity hashing
# spares hashing all four fields each time.
@dataclass(frozen=True, slots=True, eq=False)
class MetricSpec:
    """One exported metric; counters are named with their ``_total`` suffix."""

    name: str
    type: str
    labels: tuple[str, ...]
    help: str

    def family(self) -> Family:
        """A new, empty family for this metric, ready for ``add_metric``."""
        if self.type == COUNTER:
            # prometheus_client appends _total itself and wants the name without it.
            return CounterMetricFamily(
                self.name.removesuffix("_total"), self.help, labels=self.labels
            )
        return GaugeMetricFamily(self.name, self.help, labels=self.labels)


def _spec(name: str, kind: str, labels: tuple[str, ...], help_text: str) -> MetricSpec:
    return MetricSpec(f"quotameter_{name}", kind, labels, help_text)


QUOTA_HARD = _spec("quota_hard", GAUGE, _QUOTA,
    f"ResourceQuota hard limit per resource key, from status.hard ({_UNIT}).")  # fmt: skip
QUOTA_USED = _spec("quota_used", GAUGE, _QUOTA,
    f"ResourceQuota usage per resource key, from status.used ({_UNIT}).")  # fmt: skip
QUOTA_SATURATION = _spec("quota_saturation_ratio", GAUGE, _QUOTA,
    "ResourceQuota used / hard (ratio, 1 = full); absent when hard is 0.")  # fmt: skip
QUOTA_OBSERVED = _spec("quota_observed_used", GAUGE, _QUOTA,
    f"Quota usage recomputed from live pods matching the quota's scopes, compute keys only "
    f"({_UNIT}).")  # fmt: skip
QUOTA_INFO = _spec("quota_info", GAUGE, (*_NS, "quota", "scopes"),
    "Always 1; scopes holds the quota's scopes and scopeSelector, comma-joined.")  # fmt: skip
QUOTA_REJECTIONS = _spec("quota_rejections_total", COUNTER, _QUOTA,
    "Objects refused by the quota (FailedCreate events), per resource named in the refusal "
    "(count).")  # fmt: skip
LIMITRANGE = _spec("limitrange", GAUGE,
    (*_NS, "limitrange", "type", "resource", "constraint"),
    f"LimitRange constraint value ({_UNIT}; maxLimitRequestRatio is a ratio).")  # fmt: skip
NAMESPACE_REQUESTS = _spec("namespace_requests", GAUGE, (*_NS, "resource"),
    "Sum of effective pod requests over non-terminal pods; storage is what Bound and "
    f"Pending PersistentVolumeClaims request ({_UNIT}).")  # fmt: skip
NAMESPACE_LIMITS = _spec("namespace_limits", GAUGE, (*_NS, "resource"),
    f"Sum of effective pod limits over non-terminal pods ({_UNIT}).")  # fmt: skip
NAMESPACE_USAGE = _spec("namespace_usage", GAUGE, (*_NS, "resource"),
    "Usage summed over the namespace's pods in the last metrics.k8s.io sample (cores for CPU, "
    "bytes for memory).")  # fmt: skip
NAMESPACE_PODS = _spec("namespace_pods", GAUGE, (*_NS, "phase"),
    "Pods by phase (count).")  # fmt: skip
CONTAINERS_WITHOUT_REQUESTS = _spec("namespace_containers_without_requests", GAUGE,
    (*_NS, "resource"),
    "Containers of non-terminal pods that set no request for the resource (count).")  # fmt: skip
CONTAINERS_WITHOUT_LIMITS = _spec("namespace_containers_without_limits", GAUGE,
    (*_NS, "resource"),
    "Containers of non-terminal pods that set no limit for the resource (count).")  # fmt: skip
LIMITRANGE_VIOLATIONS = _spec("namespace_limitrange_violations", GAUGE,
    (*_NS, "limitrange", "resource", "constraint"),
    "Containers (Container limits) plus pods (Pod limits) of non-terminal pods outside a "
    "LimitRange's min, max or maxLimitRequestRatio (count).")  # fmt: skip

METRICS_API_UP = _spec("metrics_api_up", GAUGE, (),
    "1 while the last metrics.k8s.io poll succeeded, else 0 (usage is then unknown).")  # fmt: skip
BUILD_INFO = _spec("build_info", GAUGE, ("version",),
    "Always 1; the running quotameter version.")  # fmt: skip
INFORMER_SYNCED = _spec("informer_synced", GAUGE, ("kind",),
    "1 once the kind's informer finished its initial LIST, else 0.")  # fmt: skip
INFORMER_EVENTS = _spec("informer_events_total", COUNTER, ("kind", "type"),
    "Watch events received, by kind and event type (count).")  # fmt: skip
INFORMER_RELISTS = _spec("informer_relists_total", COUNTER, ("kind", "reason"),
    "Full LISTs of a kind: initial, gone (after 410 Gone) or error (count).")  # fmt: skip
INFORMER_LAST_EVENT = _spec("informer_last_event_timestamp_seconds", GAUGE, ("kind",),
    "Unix time of the last watch event of a kind (seconds).")  # fmt: skip
API_ERRORS = _spec("api_errors_total", COUNTER, ("kind", "code"),
    "Failed Kubernetes API calls by kind and HTTP status or failure class (count).")  # fmt: skip
PARSE_ERRORS = _spec("parse_errors_total", COUNTER, ("kind",),
    "API objects skipped (or fields ignored) as undecodable or out of range (count).")  # fmt: skip
TASK_FAILURES = _spec("task_failures_total", COUNTER, ("task",),
    "Supervised background tasks (informers, ledger flusher, usage poller) that failed and "
    "were restarted (count).")  # fmt: skip

_MONEY = "in the pricing file's currency"
_AMOUNT = "cores for cpu, bytes for memory and storage, devices for gpu"
_COST = (*_NS, "resource")
ALLOCATION = _spec("allocation", GAUGE, _COST,
    f"Allocated now: max(request, usage) for cpu and memory, requests for gpu, claimed "
    f"bytes for storage ({_AMOUNT}).")  # fmt: skip
HOURLY_COST = _spec("hourly_cost", GAUGE, _COST,
    f"Cost rate of the allocation now, per hour ({_MONEY}).")  # fmt: skip
COST_TOTAL = _spec("cost_total", COUNTER, _COST,
    f"Cost accrued since this process started, integrated exactly ({_MONEY}).")  # fmt: skip
COST_MONTH_TO_DATE = _spec("cost_month_to_date", GAUGE, _COST,
    f"Cost this UTC month from the ledger, surviving restarts ({_MONEY}).")  # fmt: skip
CLUSTER_CAPACITY = _spec("cluster_capacity", GAUGE, ("resource",),
    f"Node capacity, or claimed bytes for storage ({_AMOUNT}).")  # fmt: skip
CLUSTER_HOURLY_COST = _spec("cluster_hourly_cost", GAUGE, ("resource",),
    f"Cost of the cluster's capacity per hour at node prices ({_MONEY}).")  # fmt: skip
IDLE_HOURLY_COST = _spec("idle_hourly_cost", GAUGE, ("resource",),
    f"Capacity cost minus allocated cost per hour, floored at 0 ({_MONEY}).")  # fmt: skip
TEAM_BUDGET = _spec("team_budget", GAUGE, ("team",),
    f"Monthly budget of a team, from the pricing file or namespace annotations "
    f"({_MONEY} per month).")  # fmt: skip
TEAM_COST_MONTH_TO_DATE = _spec("team_cost_month_to_date", GAUGE, ("team",),
    f"A team's allocated cost this UTC month ({_MONEY}).")  # fmt: skip
TEAM_COST_PROJECTED = _spec("team_cost_projected", GAUGE, ("team",),
    f"Month-end projection: month-to-date plus the hourly cost now times the hours left "
    f"({_MONEY}).")  # fmt: skip
QUOTA_RECOMMENDED_HARD = _spec("quota_recommended_hard", GAUGE, _QUOTA,
    f"Suggested hard value of a quota key: the 95th percentile of its daily peaks of used "
    f"over 30 days plus 20%, rounded up; absent with under 7 days of history "
    f"({_UNIT}).")  # fmt: skip
LEDGER_LAST_FLUSH = _spec("ledger_last_flush_timestamp_seconds", GAUGE, (),
    "Unix time of the last successful ledger flush (seconds).")  # fmt: skip

# Per-namespace metrics, in exposition order (the text renderer caches them per namespace).
STATE_METRICS = (
    QUOTA_HARD, QUOTA_USED, QUOTA_SATURATION, QUOTA_OBSERVED, QUOTA_INFO, QUOTA_REJECTIONS,
    LIMITRANGE, NAMESPACE_REQUESTS, NAMESPACE_LIMITS, NAMESPACE_USAGE, NAMESPACE_PODS,
    CONTAINERS_WITHOUT_REQUESTS, CONTAINERS_WITHOUT_LIMITS, LIMITRANGE_VIOLATIONS,
)  # fmt: skip
CLUSTER_METRICS = (METRICS_API_UP,)
HEALTH_METRICS = (
    BUILD_INFO, INFORMER_SYNCED, INFORMER_EVENTS, INFORMER_RELISTS, INFORMER_LAST_EVENT,
    API_ERRORS, PARSE_ERRORS, TASK_FAILURES,
)  # fmt: skip
COST_METRICS = (
    ALLOCATION, HOURLY_COST, COST_TOTAL, COST_MONTH_TO_DATE, CLUSTER_CAPACITY,
    CLUSTER_HOURLY_COST, IDLE_HOURLY_COST, TEAM_BUDGET, TEAM_COST_MONTH_TO_DATE,
    TEAM_COST_PROJECTED, LEDGER_LAST_FLUSH, QUOTA_RECOMMENDED_HARD,
)  # fmt: skip
ALL_METRICS = (*STATE_METRICS, *CLUSTER_METRICS, *HEALTH_METRICS, *COST_METRICS)

_NANOS_PER_UNIT = 10**9


def base_units(nanos: int) -> float:
    """Nanos to base units (cores, bytes), correctly rounded: what Quantity.as_float gives."""
    return nanos / _NANOS_PER_UNIT
