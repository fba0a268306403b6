"""Which printer renders a resource, and the apiVersion and kind its rows' objects carry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from quotasim.tables import core, metrics, pods, workloads
from quotasim.tables.cells import Cells, age_of, name_of
from quotasim.tables.columns import (
    DEFAULT_COLUMNS,
    DEPLOYMENT_COLUMNS,
    EVENT_COLUMNS,
    FALLBACK_COLUMNS,
    NAMESPACE_COLUMNS,
    NODE_COLUMNS,
    POD_COLUMNS,
    PVC_COLUMNS,
    QUOTA_COLUMNS,
    REPLICASET_COLUMNS,
)


class Printer(NamedTuple):
    """A resource's columns (from the items, for metrics), cells and row conditions."""

    columns: Callable[[list[dict]], list[dict]]
    cells: Callable[[dict, datetime, list[dict]], Cells]
    conditions: Callable[[dict], list[dict] | None] = lambda obj: None


def _static(columns: list[dict], cells: Callable[[dict, datetime], Cells], **kw: Any) -> Printer:
    return Printer(lambda items: columns, lambda obj, now, cols: cells(obj, now), **kw)


PRINTERS: dict[str, Printer] = {
    "pods": _static(POD_COLUMNS, pods.pod_cells, conditions=pods.pod_conditions),
    "nodes": _static(NODE_COLUMNS, core.node_cells),
    "namespaces": _static(NAMESPACE_COLUMNS, core.namespace_cells),
    "resourcequotas": _static(QUOTA_COLUMNS, core.quota_cells),
    "limitranges": _static(DEFAULT_COLUMNS, core.default_cells),
    "persistentvolumeclaims": _static(PVC_COLUMNS, core.pvc_cells),
    "events": _static(EVENT_COLUMNS, core.event_cells),
    "deployments": _static(DEPLOYMENT_COLUMNS, workloads.deployment_cells),
    "replicasets": _static(REPLICASET_COLUMNS, workloads.replicaset_cells),
    "pods.metrics.k8s.io": Printer(metrics.metrics_columns, metrics.metrics_cells),
    "nodes.metrics.k8s.io": Printer(metrics.metrics_columns, metrics.metrics_cells),
}
FALLBACK = _static(FALLBACK_COLUMNS, lambda obj, now: [name_of(obj), age_of(obj, now)])

# (apiVersion, kind) to stamp on includeObject=Object rows, whose stored dicts may lack them.
KINDS: dict[str, tuple[str, str]] = {
    "pods": ("v1", "Pod"), "nodes": ("v1", "Node"), "namespaces": ("v1", "Namespace"),
    "resourcequotas": ("v1", "ResourceQuota"), "limitranges": ("v1", "LimitRange"),
    "persistentvolumeclaims": ("v1", "PersistentVolumeClaim"), "events": ("v1", "Event"),
    "deployments": ("apps/v1", "Deployment"), "replicasets": ("apps/v1", "ReplicaSet"),
    "pods.metrics.k8s.io": ("metrics.k8s.io/v1beta1", "PodMetrics"),
    "nodes.metrics.k8s.io": ("metrics.k8s.io/v1beta1", "NodeMetrics"),
}  # fmt: skip
_CORE_GROUPS = ("", "core", "apps")


def printer_key(resource: str, items: list[dict]) -> str:
    """The PRINTERS and KINDS key of a plural, optionally qualified ("pods.metrics.k8s.io")."""
    plural, _, group = resource.lower().partition(".")
    if group in _CORE_GROUPS:
        # metrics.k8s.io reuses the plurals "pods" and "nodes"; a caller that passes only
        # the plural still gets metrics-server's columns for PodMetrics/NodeMetrics bodies.
        if plural in ("pods", "nodes") and items and "window" in items[0]:
            return f"{plural}.metrics.k8s.io"
        return plural
    return f"{plural}.{group}"
