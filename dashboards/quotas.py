"""The Quotas dashboard: how full each ResourceQuota is, what fills it, and who was refused."""

from __future__ import annotations

from dashboards.frame import dashboard
from dashboards.grafana import (
    SATURATION,
    Json,
    Query,
    coloured_cells,
    column,
    metric,
    query_override,
    thresholds,
)
from dashboards.visuals import bargauge, table, timeseries

QUOTA_LEGEND = "{{namespace}} / {{quota}} / {{resource}}"
# Counts of misconfigured containers: any is worth a look.
ANY = thresholds((None, "green"), (1, "orange"))
BY_NAMESPACE = "cluster, namespace"


def _saturation_table() -> Json:
    return table(
        "Quota saturation",
        description="Every ResourceQuota key: status.used, status.hard and used / hard. "
        "Orange from 90 %, red at 100 % (the next object asking for it is refused). "
        "Used and hard are in cores for CPU, bytes for memory and storage, else a count.",
        queries=[
            Query(metric("quotameter_quota_used"), instant=True, table=True),
            Query(metric("quotameter_quota_hard"), instant=True, table=True),
            Query(metric("quotameter_quota_saturation_ratio"), instant=True, table=True),
        ],
        columns={"Value #A": "Used", "Value #B": "Hard", "Value #C": "Saturation"},
        order=("cluster", "namespace", "team", "quota", "resource", "Value #A", "Value #B"),
        sort_by="Saturation",
        overrides=[column("Saturation", ("unit", "percentunit"), *coloured_cells(SATURATION))],
        size=(24, 10),
    )


def _closest_to_exhaustion() -> Json:
    return bargauge(
        "Top 10 quotas closest to exhaustion",
        description="The ten quota keys with the highest used / hard.",
        queries=[
            Query(
                f"sort_desc(topk(10, {metric('quotameter_quota_saturation_ratio')}))",
                legend=QUOTA_LEGEND,
                instant=True,
            )
        ],
        unit="percentunit",
        steps=SATURATION,
        maximum=1,
    )


def _saturation_over_time() -> Json:
    return timeseries(
        "Quota saturation over time",
        description="used / hard per quota key; the dashed lines are 90 % and 100 %.",
        queries=[Query(metric("quotameter_quota_saturation_ratio"), legend=QUOTA_LEGEND)],
        unit="percentunit",
        steps=SATURATION,
        threshold_lines=True,
    )


def _requests_vs_quota(
    title: str, *, requests: str, quota: str, unit: str, usage: str | None, note: str
) -> Json:
    """Per namespace: the sum of pod requests, the quota's hard limit on them, and usage."""
    queries = [
        Query(
            f"sum by ({BY_NAMESPACE}) ({metric('quotameter_namespace_requests', requests)})",
            legend="{{namespace}} requests",
        ),
        # Several quotas may limit the same key; the smallest is the one admission enforces.
        Query(
            f"min by ({BY_NAMESPACE}) ({metric('quotameter_quota_hard', quota)})",
            legend="{{namespace}} quota",
        ),
    ]
    if usage:
        queries.append(
            Query(
                f"sum by ({BY_NAMESPACE}) ({metric('quotameter_namespace_usage', usage)})",
                legend="{{namespace}} usage",
            )
        )
    dashed = ("custom.lineStyle", {"dash": [10, 10], "fill": "dash"})
    return timeseries(
        title,
        description="Per namespace: effective pod requests, the quota's hard limit on "
        f"requests (dashed){', and usage from metrics.k8s.io' if usage else ''}. {note}",
        queries=queries,
        unit=unit,
        size=(8, 8),
        overrides=[query_override("B", dashed)],
    )


def _resource_panels() -> list[Json]:
    return [
        _requests_vs_quota(
            "CPU: requests vs quota vs usage (cores)",
            requests='resource="cpu"',
            quota='resource=~"requests.cpu|cpu"',
            usage='resource="cpu"',
            unit="short",
            note="Usage above requests is what max(request, usage) cost allocation charges.",
        ),
        _requests_vs_quota(
            "Memory: requests vs quota vs usage",
            requests='resource="memory"',
            quota='resource=~"requests.memory|memory"',
            usage='resource="memory"',
            unit="bytes",
            note="Usage is the working set metrics.k8s.io reports.",
        ),
        _requests_vs_quota(
            "GPU: requests vs quota",
            requests='resource=~".+/gpu"',
            quota='resource=~"requests[.].+/gpu"',
            usage=None,
            unit="short",
            note="metrics.k8s.io reports no GPU usage; a GPU is allocated whole, so its "
            "request is what it uses and what it costs.",
        ),
    ]


def _limitranges() -> Json:
    return table(
        "LimitRange settings per namespace",
        description="Every LimitRange constraint (min, max, default, defaultRequest, "
        "maxLimitRequestRatio) per type and resource: cores for CPU, bytes for memory "
        "and storage.",
        queries=[Query(metric("quotameter_limitrange"), instant=True, table=True)],
        columns={},
        order=("cluster", "namespace", "team", "limitrange", "type", "resource", "constraint"),
        size=(12, 9),
    )


def _compliance() -> list[Json]:
    without = table(
        "Containers without requests or limits",
        description="Containers of running pods that set no request (they escape quota "
        "accounting unless a LimitRange defaults them) or no limit.",
        queries=[
            Query(
                metric("quotameter_namespace_containers_without_requests"),
                instant=True,
                table=True,
            ),
            Query(
                metric("quotameter_namespace_containers_without_limits"), instant=True, table=True
            ),
        ],
        columns={"Value #A": "Without requests", "Value #B": "Without limits"},
        order=("cluster", "namespace", "team", "resource"),
        overrides=[
            column("Without requests", *coloured_cells(ANY)),
            column("Without limits", *coloured_cells(ANY)),
        ],
        size=(12, 9),
    )
    violations = table(
        "LimitRange violations",
        description="Running containers (and pods) outside a LimitRange's min, max or "
        "maxLimitRequestRatio: typically admitted before the LimitRange was added or "
        "tightened.",
        queries=[
            Query(metric("quotameter_namespace_limitrange_violations"), instant=True, table=True)
        ],
        columns={"Value": "Violations"},
        order=("cluster", "namespace", "team", "limitrange", "resource", "constraint"),
        sort_by="Violations",
        overrides=[column("Violations", *coloured_cells(ANY))],
        size=(12, 9),
    )
    return [without, violations]


def _suggested_hard() -> Json:
    hard, suggested = metric("quotameter_quota_hard"), metric("quotameter_quota_recommended_hard")
    return table(
        "Suggested hard vs current hard",
        description="Right-sizing from the ledger's daily history: the 95th percentile of "
        "each key's daily peaks of used over 30 days plus 20 %, rounded up "
        "(`quotameter recommend` gives the verdict and the figures). Above 100 % the quota "
        "is tighter than its use; far below, it holds headroom nobody else can use. Keys "
        "with under 7 days of history have no suggestion yet.",
        queries=[
            Query(hard, instant=True, table=True),
            Query(suggested, instant=True, table=True),
            Query(f"{suggested} / {hard}", instant=True, table=True),
        ],
        columns={"Value #A": "Hard", "Value #B": "Suggested", "Value #C": "Suggested / hard"},
        order=("cluster", "namespace", "team", "quota", "resource", "Value #A", "Value #B"),
        sort_by="Suggested / hard",
        overrides=[column("Suggested / hard", ("unit", "percentunit"))],
        size=(24, 9),
    )


def _rejections() -> Json:
    rejections = metric("quotameter_quota_rejections_total")
    return timeseries(
        "Quota rejections by namespace and resource",
        description="Objects refused by a ResourceQuota (FailedCreate events), counted once "
        "per resource the refusal names. Refused pods never run, so nothing else shows them.",
        queries=[
            Query(
                f"sum by ({BY_NAMESPACE}, resource) (increase({rejections}[$__rate_interval]))",
                legend="{{namespace}} {{resource}}",
            )
        ],
        unit="short",
        bars=True,
        stacked=True,
        size=(12, 9),
    )


def build() -> Json:
    """The Quotas dashboard."""
    panels = [
        _saturation_table(),
        _closest_to_exhaustion(),
        _saturation_over_time(),
        *_resource_panels(),
        _limitranges(),
        _rejections(),
        _suggested_hard(),
        *_compliance(),
    ]
    return dashboard(
        key="quotas",
        title="quotameter / Quotas",
        description="ResourceQuota saturation, requests vs quota vs usage, LimitRanges and "
        "quota refusals per namespace.",
        panels=panels,
        time_from="now-6h",
    )
