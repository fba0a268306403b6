"""Printers of apps/v1 workloads: deployments and replica sets."""

from __future__ import annotations

from datetime import datetime

from quotasim.tables.cells import Cells, age_of, name_of


def deployment_cells(deploy: dict, now: datetime) -> Cells:
    """printDeployment's cells: name, ready, up-to-date, available, age, then the wide ones."""
    spec, status = deploy.get("spec") or {}, deploy.get("status") or {}
    ready = f"{int(status.get('readyReplicas') or 0)}/{_replicas(spec)}"
    return [
        name_of(deploy),
        ready,
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        age_of(deploy, now),
        *_template_cells(spec),
        _selector_text(spec.get("selector")),
    ]


def replicaset_cells(rs: dict, now: datetime) -> Cells:
    """printReplicaSet's cells: name, desired, current, ready, age, then the wide ones."""
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    selector = spec.get("selector")
    # FormatLabelSelector: nil or empty selectors read "<none>" (printDeployment leaves "").
    return [
        name_of(rs),
        _replicas(spec),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        age_of(rs, now),
        *_template_cells(spec),
        _selector_text(selector) or "<none>",
    ]


def _replicas(spec: dict) -> int:
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)  # the API server defaults it to 1


def _template_cells(spec: dict) -> Cells:
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


def _selector_text(selector: dict | None) -> str:
    """labels.Selector.String() of a LabelSelector: requirements sorted by key."""
    if not selector:
        return ""
    reqs = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
        text = {
            "In": f"{key} in ({','.join(sorted(values))})",
            "NotIn": f"{key} notin ({','.join(sorted(values))})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op)
        if text is None:
            return "<invalid>"
        reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))
