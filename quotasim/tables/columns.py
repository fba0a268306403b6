"""Column definitions of the printers, as data: name, type, format, description, priority.

Priority 1 columns are the wide ones; the apiserver always sends them, and kubectl shows
them only with -o wide.
"""

from __future__ import annotations

from quotasim.tables.descriptions import DOCS


def col(name: str, type_: str, description: str, *, priority: int = 0, fmt: str = "") -> dict:
    """One TableColumnDefinition."""
    return {
        "name": name,
        "type": type_,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


def _columns(*specs: tuple[str, str, str, str, int]) -> list[dict]:
    """Column definitions from (name, type, format, doc key, priority) specs."""
    return [
        col(name, type_, DOCS[doc], priority=prio, fmt=fmt) for name, type_, fmt, doc, prio in specs
    ]


_N, _A = ("Name", "string", "name", "name", 0), ("Age", "string", "", "age", 0)
# fmt: off
POD_COLUMNS = _columns(
    _N, ("Ready", "string", "", "pod.ready", 0), ("Status", "string", "", "pod.status", 0),
    ("Restarts", "string", "", "pod.restarts", 0), _A, ("IP", "string", "", "pod.ip", 1),
    ("Node", "string", "", "pod.node", 1), ("Nominated Node", "string", "", "pod.nominated", 1),
    ("Readiness Gates", "string", "", "pod.gates", 1),
)
NODE_COLUMNS = _columns(
    _N, ("Status", "string", "", "node.status", 0), ("Roles", "string", "", "node.roles", 0),
    _A, ("Version", "string", "", "node.version", 0),
    ("Internal-IP", "string", "", "node.addresses", 1),
    ("External-IP", "string", "", "node.addresses", 1),
    ("OS-Image", "string", "", "node.os", 1), ("Kernel-Version", "string", "", "node.kernel", 1),
    ("Container-Runtime", "string", "", "node.runtime", 1),
)
NAMESPACE_COLUMNS = _columns(_N, ("Status", "string", "", "namespace.status", 0), _A)
# The order since Kubernetes 1.33 (PR #129419), which moved Age after Limit; v1.36, the
# release the differential test holds the simulator to, prints it so.
QUOTA_COLUMNS = _columns(
    _N, ("Request", "string", "", "quota.request", 0),
    ("Limit", "string", "", "quota.limit", 0), _A,
)
# The apiserver's default convertor, for built-ins without a printer (LimitRange among them).
DEFAULT_COLUMNS = _columns(_N, ("Created At", "date", "", "age", 0))
# A custom resource's default columns; the fallback for anything unknown.
FALLBACK_COLUMNS = _columns(_N, ("Age", "date", "", "age", 0))
PVC_COLUMNS = _columns(
    _N, ("Status", "string", "", "pvc.status", 0), ("Volume", "string", "", "pvc.volume", 0),
    ("Capacity", "string", "", "pvc.capacity", 0),
    ("Access Modes", "string", "", "pvc.modes", 0),
    ("StorageClass", "string", "", "pvc.class", 0),
    ("VolumeAttributesClass", "string", "", "pvc.vac", 0), _A,
    ("VolumeMode", "string", "", "pvc.mode", 1),
)
EVENT_COLUMNS = _columns(
    ("Last Seen", "string", "", "event.last", 0), ("Type", "string", "", "event.type", 0),
    ("Reason", "string", "", "event.reason", 0), ("Object", "string", "", "event.object", 0),
    ("Subobject", "string", "", "event.subobject", 1),
    ("Source", "string", "", "event.source", 1), ("Message", "string", "", "event.message", 0),
    ("First Seen", "string", "", "event.first", 1), ("Count", "string", "", "event.count", 1),
    ("Name", "string", "name", "name", 1),
)
DEPLOYMENT_COLUMNS = _columns(
    _N, ("Ready", "string", "", "deploy.ready", 0),
    ("Up-to-date", "string", "", "deploy.updated", 0),
    ("Available", "string", "", "deploy.available", 0), _A,
    ("Containers", "string", "", "containers", 1), ("Images", "string", "", "images", 1),
    ("Selector", "string", "", "deploy.selector", 1),
)
REPLICASET_COLUMNS = _columns(
    _N, ("Desired", "integer", "", "rs.desired", 0),
    ("Current", "integer", "", "rs.current", 0), ("Ready", "integer", "", "rs.ready", 0), _A,
    ("Containers", "string", "", "containers", 1), ("Images", "string", "", "images", 1),
    ("Selector", "string", "", "rs.selector", 1),
)
# fmt: on
