"""The JSON body of GET /api/v1/summary: every namespace, from one snapshot.

Pure: it reads a StateSnapshot, the usage sample and the rejection counter and returns
plain dicts. Quantities are floats in base units (cores, bytes), counts are ints, and
what is unknown is null, never 0: usage while the namespace is not in the metrics.k8s.io
sample, a quota's used before its status is written, a ratio without a divisor.
Month-to-date cost is not here: it belongs to the ledger (exporter.cost), and the app
adds it to each namespace's entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exporter.model.compact import Resources
from exporter.model.costview import CostView
from exporter.model.rejections import RejectionCounter
from exporter.model.snapshot import QuotaRow, SpaceView, StateSnapshot
from exporter.model.usage import UsageTable

EFFICIENCY_RESOURCES = ("cpu", "memory")
_NANO = 10**9


def summary(
    snapshot: StateSnapshot, *, usage: UsageTable | None, rejections: RejectionCounter
) -> dict[str, Any]:
    """Every namespace of the snapshot, sorted by name, with the metrics API's state."""
    sampled = usage.namespace_usage() if usage is not None else {}
    last = rejections.last_rejections()
    allocatable = _allocatable(snapshot)
    namespaces = [
        namespace_summary(
            view, usage=sampled.get(view.namespace), last_rejections=last, allocatable=allocatable
        )
        for view in snapshot.spaces
    ]
    return {"metrics_api_up": usage is not None and usage.up, "namespaces": namespaces}


def namespace_summary(
    view: SpaceView,
    *,
    usage: Mapping[str, int] | None,
    last_rejections: Mapping[tuple[str, str], dict[str, Any]],
    allocatable: Mapping[str, int],
) -> dict[str, Any]:
    """One namespace; ``usage`` is {"cpu": nanocores, "memory": bytes} or None (unknown)."""
    row = view.row
    requests = dict(row.requests) if row else {}
    used = None if usage is None else {"cpu": usage["cpu"], "memory": usage["memory"] * _NANO}
    return {
        "namespace": view.namespace,
        "team": view.team,
        "quotas": [_quota(q, view, last_rejections) for q in view.quotas],
        "requests": _units(row.requests if row else ()),
        "limits": _units(row.limits if row else ()),
        "usage": None if used is None else _units(tuple(used.items())),
        "efficiency": efficiency(requests, used, allocatable=allocatable),
        "pods": dict(row.phases) if row else {},
        "storage": _units(row.storage if row else ()),
        "limitrange_violations": [
            {"limitrange": lr, "resource": resource, "constraint": constraint, "count": count}
            for lr, resource, constraint, count in view.violations
        ],
    }


def _quota(
    row: QuotaRow, view: SpaceView, last_rejections: Mapping[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    quota = row.quota
    used, observed = dict(quota.used), dict(row.observed)
    resources = {}
    for key, hard in quota.hard:
        used_nanos = used.get(key)
        resources[key] = {
            "hard": hard / _NANO,
            "used": None if used_nanos is None else used_nanos / _NANO,
            "saturation": used_nanos / hard if used_nanos is not None and hard else None,
            "observed_used": observed[key] / _NANO if key in observed else None,
        }
    totals = {resource: n for name, resource, n in view.rejections if name == quota.name}
    return {
        "name": quota.name,
        "scopes": quota.scopes,
        "resources": resources,
        "rejections": {
            "total": totals,
            "last": last_rejections.get((view.namespace, quota.name)),
        },
    }


def efficiency(
    requests: Mapping[str, int],
    usage: Mapping[str, int] | None,
    *,
    allocatable: Mapping[str, int],
) -> dict[str, float | None]:
    """usage / request for cpu and memory (nanos in, ratios out), and ``overall``: their
    mean weighted by request, each request measured as its share of the cluster's
    allocatable (cores and bytes do not add up otherwise). None where undefined."""
    result: dict[str, float | None] = dict.fromkeys((*EFFICIENCY_RESOURCES, "overall"))
    if usage is None:
        return result
    used_share = requested_share = 0.0
    for resource in EFFICIENCY_RESOURCES:
        request, used = requests.get(resource, 0), usage.get(resource, 0)
        if request <= 0:
            continue
        result[resource] = used / request
        if allocatable.get(resource, 0) > 0:
            used_share += used / allocatable[resource]
            requested_share += request / allocatable[resource]
    if requested_share > 0:
        result["overall"] = used_share / requested_share
    return result


def _allocatable(snapshot: StateSnapshot) -> dict[str, int]:
    """The cluster's allocatable cpu and memory in nanos, summed over nodes."""
    total = dict.fromkeys(EFFICIENCY_RESOURCES, 0)
    for node in snapshot.nodes:
        for resource, nanos in node.allocatable:
            if resource in total:
                total[resource] += nanos
    return total


def _units(resources: Resources) -> dict[str, float]:
    return {name: nanos / _NANO for name, nanos in resources}


def with_costs(body: dict[str, Any], view: CostView) -> dict[str, Any]:
    """The summary with each namespace's cost (month to date and per hour, by resource)
    and every team's budget, month-to-date cost and month-end projection."""
    costs: dict[str, dict[str, Any]] = {}
    for line in view.lines:
        cost = costs.setdefault(line.namespace, {"month_to_date": {}, "hourly": {}})
        cost["month_to_date"][line.resource] = (
            cost["month_to_date"].get(line.resource, 0.0) + line.month_to_date
        )
        cost["hourly"][line.resource] = cost["hourly"].get(line.resource, 0.0) + line.hourly_cost
    for ns in body["namespaces"]:
        cost = costs.get(ns["namespace"], {"month_to_date": {}, "hourly": {}})
        ns["cost"] = {
            "currency": view.currency,
            "month_to_date": cost["month_to_date"],
            "month_to_date_total": sum(cost["month_to_date"].values()),
            "hourly": cost["hourly"],
        }
    body["teams"] = [
        {
            "team": t.team,
            "budget": t.budget,
            "month_to_date": t.month_to_date,
            "projected": t.projected,
        }
        for t in view.teams
    ]
    body["currency"] = view.currency
    return body
