"""Printers of the other core/v1 kinds: nodes, namespaces, resource quotas, limit ranges
(the default convertor), persistent volume claims and events."""

from __future__ import annotations

from datetime import UTC, datetime

from quotasim.tables.cells import Cells, age_of, name_of, quantity_text
from quotasim.tables.durations import ago, parse_time, since

# nodes


_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def node_cells(node: dict, now: datetime) -> Cells:
    """printNode's cells: name, status, roles, age, version, then the wide ones."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    info = status.get("nodeInfo") or {}
    ready = {c.get("type"): c.get("status") for c in status.get("conditions") or []}.get("Ready")
    state = ["Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"]
    if spec.get("unschedulable"):
        state.append("SchedulingDisabled")
    return [
        name_of(node),
        ",".join(state),
        ",".join(_node_roles(node)) or "<none>",
        age_of(node, now),
        info.get("kubeletVersion") or "",
        _node_address(status, "InternalIP"),
        _node_address(status, "ExternalIP"),
        *(
            info.get(k) or "<unknown>"
            for k in ("osImage", "kernelVersion", "containerRuntimeVersion")
        ),
    ]


def _node_roles(node: dict) -> list[str]:
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith(_NODE_ROLE_PREFIX) and len(key) > len(_NODE_ROLE_PREFIX):
            roles.add(key[len(_NODE_ROLE_PREFIX) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(roles)


def _node_address(status: dict, type_: str) -> str:
    found = (a.get("address") for a in status.get("addresses") or [] if a.get("type") == type_)
    return next(found, "<none>")


# namespaces, resource quotas, limit ranges


def namespace_cells(ns: dict, now: datetime) -> Cells:
    """printNamespace's cells: name, phase, age."""
    return [name_of(ns), (ns.get("status") or {}).get("phase") or "", age_of(ns, now)]


def quota_cells(quota: dict, now: datetime) -> Cells:
    """printResourceQuota's cells: name, used/hard for requests and for limits, then age."""
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    # Plain byte order of names; only "limits.*" goes to LIMIT, everything else to REQUEST.
    for name in sorted(hard):
        column = limits if name.startswith("limits.") else requests
        column.append(f"{name}: {quantity_text(used.get(name))}/{quantity_text(hard[name])}")
    return [name_of(quota), ", ".join(requests), ", ".join(limits), age_of(quota, now)]


def default_cells(obj: dict, now: datetime) -> Cells:
    """The default convertor's cells: name and creation time in RFC 3339."""
    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    at = (created or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC)
    # Go's RFC3339 in UTC; built by hand because strftime drops the zero padding of year 1.
    return [name_of(obj), f"{at.year:04d}-{at:%m-%dT%H:%M:%S}Z"]


# persistent volume claims


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def pvc_cells(pvc: dict, now: datetime) -> Cells:
    """printPersistentVolumeClaim's cells, capacity and modes blank until bound."""
    meta, spec, status = pvc.get("metadata") or {}, pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or ""
    volume = spec.get("volumeName") or ""
    # Capacity and modes are those of the bound volume, so blank until the claim is bound.
    capacity = quantity_text((status.get("capacity") or {}).get("storage")) if volume else ""
    modes = status.get("accessModes") or []
    mode_text = ",".join(short for mode, short in _ACCESS_MODES if mode in modes) if volume else ""
    storage_class = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    if storage_class is None:
        storage_class = spec.get("storageClassName") or ""
    return [
        name_of(pvc),
        phase,
        volume,
        capacity,
        mode_text,
        storage_class,
        spec.get("volumeAttributesClassName") or "<unset>",
        age_of(pvc, now),
        spec.get("volumeMode") or "<unset>",
    ]


# events


def event_cells(event: dict, now: datetime) -> Cells:
    """printEvent's cells, for old-style and events.k8s.io-style Events alike."""
    # New-API events carry only eventTime (and series); old ones first/lastTimestamp.
    first_seen = parse_time(event.get("firstTimestamp")) or parse_time(event.get("eventTime"))
    first = ago(first_seen, now)
    last_seen = parse_time(event.get("lastTimestamp"))
    last = first if last_seen is None else ago(last_seen, now)
    count, series = int(event.get("count") or 0), event.get("series")
    if series is not None:
        last, count = since(series.get("lastObservedTime"), now), int(series.get("count") or 0)
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    involved = event.get("involvedObject") or {}
    target = (involved.get("kind") or "").lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    return [
        last,
        event.get("type") or "",
        event.get("reason") or "",
        target,
        involved.get("fieldPath") or "",
        _event_source(event),
        (event.get("message") or "").strip(),
        first,
        count,
        name_of(event),
    ]


def _event_source(event: dict) -> str:
    source = event.get("source") or {}
    # v1 "reportingComponent" is the internal ReportingController.
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else component
