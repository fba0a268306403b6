"""Server-side ``meta.k8s.io`` Tables, as kube-apiserver 1.32 renders them for ``kubectl get``.

kubectl asks for a Table in its Accept header and prints whatever columns the server sends,
so the cells here follow the apiserver's printers (pkg/printers/internalversion/printers.go),
its default table convertor (resources without a printer, such as LimitRange) and
metrics-server's convertor for metrics.k8s.io. Objects are plain dicts as stored; nothing
here mutates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from exporter.model.quantities import ZERO, Quantity, QuantityError, quantity_from_json

__all__ = [
    "TableOptionsError",
    "accepts_table",
    "human_duration",
    "render_table",
    "render_watch_table",
]

TABLE_GROUP = "meta.k8s.io"
_TABLE_VERSIONS = ("v1", "v1beta1")
_INCLUDE_OBJECT = ("Metadata", "Object", "None", "")  # "" means Metadata
# Conversions the apiserver offers in meta.k8s.io; any other as/g/v clause is skipped.
_TRANSFORMS = ("Table", "PartialObjectMetadata", "PartialObjectMetadataList")


class TableOptionsError(ValueError):
    """An includeObject value the API server refuses; the caller answers 400 BadRequest."""


# --- content negotiation ------------------------------------------------------------------


def accepts_table(accept_header: str) -> str | None:
    """Return "v1" or "v1beta1" when the Accept header negotiates a meta.k8s.io Table, else None.

    Mirrors the apiserver: clauses are tried by quality, the first one the JSON serializer
    can serve wins, and a Table clause with a wrong group or version is skipped, not chosen.
    """
    for type_, subtype, params in _parse_accept(accept_header or ""):
        if type_ not in ("application", "*") or subtype not in ("json", "*"):
            continue
        convert = (params.get("as"), params.get("g"), params.get("v"))
        if convert == (None, None, None):
            return None  # plain JSON was preferred
        kind, group, version = convert
        if kind in _TRANSFORMS and group == TABLE_GROUP and version in _TABLE_VERSIONS:
            return version if kind == "Table" else None  # PartialObjectMetadata: not a Table
    return None


def _parse_accept(header: str) -> list[tuple[str, str, dict[str, str]]]:
    """Split an Accept header like goautoneg: by q (high first), then specific before '*'."""
    clauses = []
    for part in header.split(","):
        media_range, *raw_params = part.strip(" ").split(";")
        pieces = media_range.split("/")
        if len(pieces) == 1 and pieces[0].strip(" ") == "*":
            pieces = ["*", "*"]
        if len(pieces) != 2:
            continue
        q, params = 1.0, {}
        for raw in raw_params:
            key, sep, value = raw.partition("=")
            if not sep:
                continue
            if key.strip(" ") == "q":
                q = _parse_q(value)
            else:
                params[key.strip(" ")] = value.strip(" ")
        clauses.append((pieces[0].strip(" "), pieces[1].strip(" "), params, q))
    clauses.sort(key=lambda c: (-c[3], c[0] == "*", c[1] == "*"))  # stable, like Go for n<12
    return [(t, s, p) for t, s, p, _ in clauses]


def _parse_q(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0  # Go's ParseFloat error leaves q at 0


# --- durations ----------------------------------------------------------------------------


def human_duration(value: float | Decimal | timedelta) -> str:
    """Format a duration (seconds or timedelta) like apimachinery's duration.HumanDuration."""
    ns = _nanoseconds(value)
    seconds = ns // 10**9 if ns >= 0 else -(-ns // 10**9)  # Go truncates toward zero
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"  # up to 2s in the future: clock skew, call it now
    if seconds < 60 * 2:
        return f"{seconds}s"
    return _minutes_and_up(ns)


def _minutes_and_up(ns: int) -> str:
    minutes = ns // (60 * 10**9)
    if minutes < 10:
        return _pair(minutes, "m", ns // 10**9 % 60, "s")
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // (3600 * 10**9)
    if hours < 8:
        return _pair(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _pair(hours // 24, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        return _pair(hours // 24 // 365, "y", hours // 24 % 365, "d")
    return f"{hours // 24 // 365}y"


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"


def _nanoseconds(value: float | Decimal | timedelta) -> int:
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 10**9 + value.microseconds * 1000
    # str() keeps a float's shortest decimal text, so 119.999 is 119999000000ns exactly.
    return int((Decimal(str(value)) * 10**9).to_integral_value(rounding=ROUND_HALF_EVEN))


# --- rendering ----------------------------------------------------------------------------


def render_table(
    resource: str,
    items: list[dict],
    *,
    list_meta: dict,
    include_object: str = "Metadata",
    now: datetime,
    wide: bool = True,
    api_version: str = "meta.k8s.io/v1",
    with_columns: bool = True,
) -> dict:
    """Render a LIST (or a single GET, as one item) as the apiserver's Table body.

    The apiserver always renders wide (all priority-1 columns and cells; kubectl hides
    them unless -o wide), hence ``wide=True``. ``resource`` is the plural, optionally
    qualified ("pods.metrics.k8s.io"); ``api_version`` is "v1", "v1beta1" or "meta.k8s.io/v1".
    """
    if include_object not in _INCLUDE_OBJECT:
        raise TableOptionsError(
            "Unable to convert to Table as requested: includeObject: Invalid value: "
            f"\"{include_object}\": must be 'Metadata', 'Object', 'None', or empty"
        )
    api_version = api_version if "/" in api_version else f"{TABLE_GROUP}/{api_version}"
    key = _printer_key(resource, items)
    printer = _PRINTERS.get(key, _FALLBACK)
    columns = printer.columns(items)
    keep = [i for i, col in enumerate(columns) if wide or col["priority"] == 0]
    embed = _Embedder(include_object, api_version, _KINDS.get(key))
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": _table_meta(list_meta),
        # After a watch's first event the apiserver sets NoHeaders: Go encodes the nil slice
        # as null, and kubectl keeps the columns it already has.
        "columnDefinitions": [dict(columns[i]) for i in keep] if with_columns else None,
        "rows": [_row(printer, obj, now, columns, keep, embed) for obj in items],
    }


def render_watch_table(
    resource: str,
    obj: dict,
    *,
    include_object: str = "Metadata",
    now: datetime,
    wide: bool = True,
    api_version: str = "meta.k8s.io/v1",
    with_columns: bool = True,
) -> dict:
    """Render one watch event's object as a one-row Table.

    Pass ``with_columns=True`` for the first event of a stream only: the apiserver sends
    column definitions once per watch and ``"columnDefinitions": null`` afterwards.
    """
    meta = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
    return render_table(
        resource,
        [obj],
        list_meta=meta,
        include_object=include_object,
        now=now,
        wide=wide,
        api_version=api_version,
        with_columns=with_columns,
    )


def _table_meta(list_meta: dict) -> dict:
    # ListMeta fields are omitempty, except remainingItemCount, which is a pointer.
    meta = {k: list_meta[k] for k in ("resourceVersion", "continue") if list_meta.get(k)}
    if list_meta.get("remainingItemCount") is not None:
        meta["remainingItemCount"] = list_meta["remainingItemCount"]
    return meta


def _row(
    printer: _Printer,
    obj: dict,
    now: datetime,
    columns: list[dict],
    keep: list[int],
    embed: _Embedder,
) -> dict:
    cells = printer.cells(obj, _aware(now), columns)
    row: dict[str, Any] = {"cells": [cells[i] for i in keep]}
    if conditions := printer.conditions(obj):
        row["conditions"] = conditions
    row["object"] = embed(obj)
    return row


@dataclass(frozen=True, slots=True)
class _Embedder:
    """What a row carries in ``object``, per the request's includeObject."""

    include_object: str
    api_version: str
    kind: tuple[str, str] | None

    def __call__(self, obj: dict) -> dict | None:
        if self.include_object == "None":
            return None  # RawExtension without an object marshals as null, not omitted
        if self.include_object == "Object":
            if self.kind is None:
                return obj
            # kubectl decodes each row object and fails on one without kind/apiVersion.
            api_version, kind = self.kind
            return {"kind": kind, "apiVersion": api_version, **obj}
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": self.api_version,
            "metadata": obj.get("metadata") or {},
        }


# --- printers -----------------------------------------------------------------------------

Cells = list[Any]


class _Printer(NamedTuple):
    columns: Callable[[list[dict]], list[dict]]
    cells: Callable[[dict, datetime, list[dict]], Cells]
    conditions: Callable[[dict], list[dict] | None] = lambda obj: None


def _static(columns: list[dict], cells: Callable[[dict, datetime], Cells], **kw: Any) -> _Printer:
    return _Printer(lambda items: columns, lambda obj, now, cols: cells(obj, now), **kw)


def _col(name: str, type_: str, description: str, *, priority: int = 0, fmt: str = "") -> dict:
    return {
        "name": name,
        "type": type_,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _age(obj: dict, now: datetime) -> str:
    return _since((obj.get("metadata") or {}).get("creationTimestamp"), now)


# pods


@dataclass(slots=True)
class _PodTally:
    """The running totals printPod keeps while it walks the container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None
    sidecar_restarts: int = 0
    last_sidecar_restart: datetime | None = None
    initializing: bool = False


def _pod_cells(pod: dict, now: datetime) -> Cells:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    inits = spec.get("initContainers") or []
    total = len(spec.get("containers") or []) + sum(map(_is_sidecar, inits))
    tally = _PodTally(reason=_pod_base_reason(status))
    _scan_init_statuses(tally, inits, status)
    if not tally.initializing or _first_condition_true(status, "Initialized"):
        _scan_container_statuses(tally, status)
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts = f"{tally.restarts} ({human_duration(now - tally.last_restart)} ago)"
    return [
        _name(pod),
        f"{tally.ready}/{total}",
        _pod_final_reason(pod, tally.reason),
        restarts,
        _age(pod, now),
        *_pod_wide_cells(spec, status),
    ]


def _pod_base_reason(status: dict) -> str:
    reason = status.get("reason") or status.get("phase") or ""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    return reason


def _scan_init_statuses(tally: _PodTally, inits: list[dict], status: dict) -> None:
    sidecars = {c.get("name") for c in inits if _is_sidecar(c)}
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        count, finished = int(cs.get("restartCount") or 0), _last_termination(cs)
        tally.restarts += count
        tally.last_restart = _later(tally.last_restart, finished)
        sidecar = cs.get("name") in sidecars
        if sidecar:
            tally.sidecar_restarts += count
            tally.last_sidecar_restart = _later(tally.last_sidecar_restart, finished)
        if _init_settled(tally, cs, sidecar):
            continue
        tally.reason, tally.initializing = _init_reason(cs, i, len(inits)), True
        break


def _init_settled(tally: _PodTally, cs: dict, sidecar: bool) -> bool:
    """An init container that completed, or a started sidecar, lets the scan go on."""
    terminated = _state(cs, "terminated")
    if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
        return True
    if sidecar and cs.get("started"):
        tally.ready += 1 if cs.get("ready") else 0
        return True
    return False


def _init_reason(cs: dict, index: int, count: int) -> str:
    terminated, waiting = _state(cs, "terminated"), _state(cs, "waiting")
    if terminated is not None:
        return "Init:" + (terminated.get("reason") or _exit_text(terminated))
    if waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
        return "Init:" + waiting["reason"]
    return f"Init:{index}/{count}"


def _scan_container_statuses(tally: _PodTally, status: dict) -> None:
    # Init containers that ran to completion no longer count; sidecars keep counting.
    tally.restarts, tally.last_restart = tally.sidecar_restarts, tally.last_sidecar_restart
    running = False
    for cs in reversed(status.get("containerStatuses") or []):
        tally.restarts += int(cs.get("restartCount") or 0)
        tally.last_restart = _later(tally.last_restart, _last_termination(cs))
        if (reason := _container_reason(cs)) is not None:
            tally.reason = reason
        elif cs.get("ready") and _state(cs, "running") is not None:
            running = True
            tally.ready += 1
    if tally.reason == "Completed" and running:
        tally.reason = "Running" if _any_condition_true(status, "Ready") else "NotReady"


def _container_reason(cs: dict) -> str | None:
    waiting, terminated = _state(cs, "waiting"), _state(cs, "terminated")
    if waiting is not None and waiting.get("reason"):
        return waiting["reason"]
    if terminated is not None:
        return terminated.get("reason") or _exit_text(terminated)
    return None


def _exit_text(terminated: dict) -> str:
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{int(terminated.get('exitCode') or 0)}"


def _pod_final_reason(pod: dict, reason: str) -> str:
    status = pod.get("status") or {}
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return reason
    if status.get("reason") == "NodeLost":
        return "Unknown"
    return reason if status.get("phase") in ("Succeeded", "Failed") else "Terminating"


def _pod_wide_cells(spec: dict, status: dict) -> Cells:
    # The v1->internal conversion makes podIP authoritative over podIPs[0].
    ips = status.get("podIPs") or []
    pod_ip = status.get("podIP") or (ips[0].get("ip") if ips else "")
    gates = spec.get("readinessGates") or []
    gate_cell = "<none>"
    if gates:
        passed = sum(_first_condition_true(status, g.get("conditionType")) for g in gates)
        gate_cell = f"{passed}/{len(gates)}"
    return [
        pod_ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gate_cell,
    ]


def _pod_conditions(pod: dict) -> list[dict] | None:
    phase = (pod.get("status") or {}).get("phase")
    message = {"Succeeded": "The pod has completed successfully.", "Failed": "The pod failed."}
    if phase not in message:
        return None
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message[phase]}]


def _is_sidecar(container: dict) -> bool:
    return container.get("restartPolicy") == "Always"


def _state(cs: dict, name: str) -> dict | None:
    return (cs.get("state") or {}).get(name)


def _last_termination(cs: dict) -> datetime | None:
    terminated = (cs.get("lastState") or {}).get("terminated")
    return _parse_time(terminated.get("finishedAt")) if terminated is not None else None


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None or (current is not None and current >= candidate):
        return current
    return candidate


def _any_condition_true(status: dict, type_: str) -> bool:
    conditions = status.get("conditions") or []
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)


def _first_condition_true(status: dict, type_: str | None) -> bool:
    """Initialized and readiness gates read only the first condition of their type."""
    matching = (c for c in status.get("conditions") or [] if c.get("type") == type_)
    return next(matching, {}).get("status") == "True"


# nodes


_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_cells(node: dict, now: datetime) -> Cells:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    info = status.get("nodeInfo") or {}
    ready = {c.get("type"): c.get("status") for c in status.get("conditions") or []}.get("Ready")
    state = ["Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"]
    if spec.get("unschedulable"):
        state.append("SchedulingDisabled")
    return [
        _name(node),
        ",".join(state),
        ",".join(_node_roles(node)) or "<none>",
        _age(node, now),
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


def _namespace_cells(ns: dict, now: datetime) -> Cells:
    return [_name(ns), (ns.get("status") or {}).get("phase") or "", _age(ns, now)]


def _quota_cells(quota: dict, now: datetime) -> Cells:
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests, limits = [], []
    # Plain byte order of names; only "limits.*" goes to LIMIT, everything else to REQUEST.
    for name in sorted(hard):
        column = limits if name.startswith("limits.") else requests
        column.append(f"{name}: {_quantity_text(used.get(name))}/{_quantity_text(hard[name])}")
    return [_name(quota), _age(quota, now), ", ".join(requests), ", ".join(limits)]


def _quantity_text(value: object) -> str:
    """Quantity.String() of a stored value; a missing one is the zero quantity, "0"."""
    try:
        return str(quantity_from_json(value))
    except QuantityError:
        return str(value)  # the real server would never have stored it


def _default_cells(obj: dict, now: datetime) -> Cells:
    created = _parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    at = (created or datetime(1, 1, 1, tzinfo=UTC)).astimezone(UTC)
    # Go's RFC3339 in UTC; built by hand because strftime drops the zero padding of year 1.
    return [_name(obj), f"{at.year:04d}-{at:%m-%dT%H:%M:%S}Z"]


# persistent volume claims


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def _pvc_cells(pvc: dict, now: datetime) -> Cells:
    meta, spec, status = pvc.get("metadata") or {}, pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or ""
    volume = spec.get("volumeName") or ""
    # Capacity and modes are those of the bound volume, so blank until the claim is bound.
    capacity = _quantity_text((status.get("capacity") or {}).get("storage")) if volume else ""
    modes = status.get("accessModes") or []
    mode_text = ",".join(short for mode, short in _ACCESS_MODES if mode in modes) if volume else ""
    storage_class = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    if storage_class is None:
        storage_class = spec.get("storageClassName") or ""
    return [
        _name(pvc),
        phase,
        volume,
        capacity,
        mode_text,
        storage_class,
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(pvc, now),
        spec.get("volumeMode") or "<unset>",
    ]


# events


def _event_cells(event: dict, now: datetime) -> Cells:
    # New-API events carry only eventTime (and series); old ones first/lastTimestamp.
    first_seen = _parse_time(event.get("firstTimestamp")) or _parse_time(event.get("eventTime"))
    first = _ago(first_seen, now)
    last_seen = _parse_time(event.get("lastTimestamp"))
    last = first if last_seen is None else _ago(last_seen, now)
    count, series = int(event.get("count") or 0), event.get("series")
    if series is not None:
        last, count = _since(series.get("lastObservedTime"), now), int(series.get("count") or 0)
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
        _name(event),
    ]


def _event_source(event: dict) -> str:
    source = event.get("source") or {}
    # v1 "reportingComponent" is the internal ReportingController.
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else component


# deployments and replica sets


def _deployment_cells(deploy: dict, now: datetime) -> Cells:
    spec, status = deploy.get("spec") or {}, deploy.get("status") or {}
    ready = f"{int(status.get('readyReplicas') or 0)}/{_replicas(spec)}"
    return [
        _name(deploy),
        ready,
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        _age(deploy, now),
        *_template_cells(spec),
        _selector_text(spec.get("selector")),
    ]


def _replicaset_cells(rs: dict, now: datetime) -> Cells:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    selector = spec.get("selector")
    # FormatLabelSelector: nil or empty selectors read "<none>" (printDeployment leaves "").
    return [
        _name(rs),
        _replicas(spec),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        _age(rs, now),
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


# metrics.k8s.io (served by metrics-server, whose convertor builds columns from the data)


def _metrics_columns(items: list[dict]) -> list[dict]:
    if not items:
        return []
    names = sorted(_metrics_usage(items[0]))
    return [
        _col("Name", "string", "Name of the resource", fmt="name"),
        *(_col(n, "string", "", fmt="quantity") for n in names),
        _col("Window", "string", "", fmt="duration"),
    ]


def _metrics_cells(obj: dict, now: datetime, columns: list[dict]) -> Cells:
    usage = _metrics_usage(obj)
    names = [c["name"] for c in columns[1:-1]]
    return [_name(obj), *(str(usage.get(n, ZERO)) for n in names), obj.get("window") or "0s"]


def _metrics_usage(obj: dict) -> dict[str, Quantity]:
    """A NodeMetrics' usage, or a PodMetrics' usage summed over its containers."""
    if "containers" in obj:
        usages = [c.get("usage") or {} for c in obj["containers"] or []]
    else:
        usages = [obj.get("usage") or {}]
    total: dict[str, Quantity] = {}
    for usage in usages:
        for name, value in usage.items():
            try:
                total[name] = total.get(name, ZERO) + quantity_from_json(value)
            except QuantityError:
                continue
    return total


# --- columns ------------------------------------------------------------------------------

# Descriptions are the swagger docs of the Go fields behind each column (k8s.io/api v0.32.0).
_RC_INFO = (
    " More info: https://kubernetes.io/docs/concepts/workloads/controllers/"
    "replicationcontroller/#what-is-a-replicationcontroller"
)
_DOCS: dict[str, str] = {
    "name": (
        "Name must be unique within a namespace. Is required when creating resources, although "
        "some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration "
        "definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    ),
    "age": (
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and is "
        "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
        "#metadata"
    ),
    "containers": "Names of each container in the template.",
    "images": "Images referenced by each container in the template.",
    "pod.ready": "The aggregate readiness state of this pod for accepting traffic.",
    "pod.status": "The aggregate status of the containers in this pod.",
    "pod.restarts": (
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted."
    ),
    "pod.ip": (
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
        "yet allocated."
    ),
    "pod.node": (
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
        "candidate for scheduling by the scheduler defined in schedulerName. Once this field is "
        "set, the kubelet for this node becomes responsible for the lifecycle of this pod. This "
        "field should not be used to express a desire for the pod to be scheduled on a specific "
        "node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
    ),
    "pod.nominated": (
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
        "cannot be scheduled right away as preemption victims receive their graceful "
        "termination periods. This field does not guarantee that the pod will be scheduled on "
        "this node. Scheduler may decide to place the pod elsewhere if other nodes become "
        "available sooner. Scheduler may also decide to give the resources on this node to a "
        "higher priority pod that is created after preemption. As a result, this field may be "
        "different than PodSpec.nodeName when the pod is scheduled."
    ),
    "pod.gates": (
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready "
        "when all its containers are ready AND all conditions specified in the readiness gates "
        'have status equal to "True" More info: '
        "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
    ),
    "node.status": "The status of the node",
    "node.roles": "The roles of the node",
    "node.version": "Kubelet Version reported by the node.",
    "node.addresses": (
        "List of addresses reachable to the node. Queried from cloud provider, if available. "
        "More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This "
        "field is declared as mergeable, but the merge key is not sufficiently unique, which can "
        "cause data corruption when it is merged. Callers should instead use a full-replacement "
        "patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that "
        "addresses can change during the lifetime of a Node. However, there are some exceptions "
        "where this may not be possible, such as Pods that inherit a Node's address in its own "
        "status or consumers of the downward API (status.hostIP)."
    ),
    "node.os": "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
    "(wheezy)).",
    "node.kernel": "Kernel Version reported by the node from 'uname -r' (e.g. "
    "3.16.0-0.bpo.4-amd64).",
    "node.runtime": "ContainerRuntime Version reported by the node through runtime remote API "
    "(e.g. containerd://1.4.2).",
    "namespace.status": "The status of the namespace",
    "quota.request": (
        "Request represents a minimum amount of cpu/memory that a container may consume."
    ),
    "quota.limit": (
        "Limits control the maximum amount of cpu/memory that a container may use independent "
        "of contention on the node."
    ),
    "pvc.status": "phase represents the current phase of PersistentVolumeClaim.",
    "pvc.volume": "volumeName is the binding reference to the PersistentVolume backing this claim.",
    "pvc.capacity": "capacity represents the actual resources of the underlying volume.",
    "pvc.modes": (
        "accessModes contains the actual access modes the volume backing the PVC has. More "
        "info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
    ),
    "pvc.class": "StorageClass of the pvc",
    "pvc.vac": "VolumeAttributesClass of the pvc",
    "pvc.mode": (
        "volumeMode defines what type of volume is required by the claim. Value of Filesystem "
        "is implied when not included in claim spec."
    ),
    "event.last": "The time at which the most recent occurrence of this event was recorded.",
    "event.type": "Type of this event (Normal, Warning), new types could be added in the future",
    "event.reason": (
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status."
    ),
    "event.object": "The object that this event is about.",
    "event.subobject": (
        "If referring to a piece of an object instead of an entire object, this string should "
        "contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2]. For example, if the object reference is to a "
        'container within a pod, this would take on a value like: "spec.containers{name}" '
        '(where "name" refers to the name of the container that triggered the event) or if no '
        'container name is specified "spec.containers[2]" (container with index 2 in this '
        "pod). This syntax is chosen only to have some well-defined way of referencing a part "
        "of an object."
    ),
    "event.source": (
        "The component reporting this event. Should be a short machine understandable string."
    ),
    "event.message": "A human-readable description of the status of this operation.",
    "event.first": (
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
    ),
    "event.count": "The number of times this event has occurred.",
    "deploy.ready": "Number of the pod with ready state",
    "deploy.updated": (
        "Total number of non-terminated pods targeted by this deployment that have the desired "
        "template spec."
    ),
    "deploy.available": (
        "Total number of available pods (ready for at least minReadySeconds) targeted by this "
        "deployment."
    ),
    "deploy.selector": (
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
        "the ones affected by this deployment."
    ),
    "rs.desired": (
        "Replicas is the number of desired replicas. This is a pointer to distinguish between "
        "explicit zero and unspecified. Defaults to 1." + _RC_INFO
    ),
    "rs.current": "Replicas is the most recently observed number of replicas." + _RC_INFO,
    "rs.ready": "The number of ready replicas for this replica set.",
    "rs.selector": (
        "Selector is a label query over pods that should match the replica count. If the "
        "selector is empty, it is defaulted to the labels present on the pod template. Label "
        "keys and values that must match in order to be controlled by this replica set. More "
        "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
        "#label-selectors"
    ),
}


def _columns(*specs: tuple[str, str, str, str, int]) -> list[dict]:
    """Column definitions from (name, type, format, doc key, priority) specs."""
    return [
        _col(name, type_, _DOCS[doc], priority=prio, fmt=fmt)
        for name, type_, fmt, doc, prio in specs
    ]


_N, _A = ("Name", "string", "name", "name", 0), ("Age", "string", "", "age", 0)
# fmt: off
_POD_COLUMNS = _columns(
    _N, ("Ready", "string", "", "pod.ready", 0), ("Status", "string", "", "pod.status", 0),
    ("Restarts", "string", "", "pod.restarts", 0), _A, ("IP", "string", "", "pod.ip", 1),
    ("Node", "string", "", "pod.node", 1), ("Nominated Node", "string", "", "pod.nominated", 1),
    ("Readiness Gates", "string", "", "pod.gates", 1),
)
_NODE_COLUMNS = _columns(
    _N, ("Status", "string", "", "node.status", 0), ("Roles", "string", "", "node.roles", 0),
    _A, ("Version", "string", "", "node.version", 0),
    ("Internal-IP", "string", "", "node.addresses", 1),
    ("External-IP", "string", "", "node.addresses", 1),
    ("OS-Image", "string", "", "node.os", 1), ("Kernel-Version", "string", "", "node.kernel", 1),
    ("Container-Runtime", "string", "", "node.runtime", 1),
)
_NAMESPACE_COLUMNS = _columns(_N, ("Status", "string", "", "namespace.status", 0), _A)
# v1.32's order; Kubernetes 1.33 (PR #129419) moved Age after Limit.
_QUOTA_COLUMNS = _columns(
    _N, _A, ("Request", "string", "", "quota.request", 0),
    ("Limit", "string", "", "quota.limit", 0),
)
# The apiserver's default convertor, for built-ins without a printer (LimitRange among them).
_DEFAULT_COLUMNS = _columns(_N, ("Created At", "date", "", "age", 0))
# A custom resource's default columns; the fallback for anything unknown.
_FALLBACK_COLUMNS = _columns(_N, ("Age", "date", "", "age", 0))
_PVC_COLUMNS = _columns(
    _N, ("Status", "string", "", "pvc.status", 0), ("Volume", "string", "", "pvc.volume", 0),
    ("Capacity", "string", "", "pvc.capacity", 0),
    ("Access Modes", "string", "", "pvc.modes", 0),
    ("StorageClass", "string", "", "pvc.class", 0),
    ("VolumeAttributesClass", "string", "", "pvc.vac", 0), _A,
    ("VolumeMode", "string", "", "pvc.mode", 1),
)
_EVENT_COLUMNS = _columns(
    ("Last Seen", "string", "", "event.last", 0), ("Type", "string", "", "event.type", 0),
    ("Reason", "string", "", "event.reason", 0), ("Object", "string", "", "event.object", 0),
    ("Subobject", "string", "", "event.subobject", 1),
    ("Source", "string", "", "event.source", 1), ("Message", "string", "", "event.message", 0),
    ("First Seen", "string", "", "event.first", 1), ("Count", "string", "", "event.count", 1),
    ("Name", "string", "name", "name", 1),
)
_DEPLOYMENT_COLUMNS = _columns(
    _N, ("Ready", "string", "", "deploy.ready", 0),
    ("Up-to-date", "string", "", "deploy.updated", 0),
    ("Available", "string", "", "deploy.available", 0), _A,
    ("Containers", "string", "", "containers", 1), ("Images", "string", "", "images", 1),
    ("Selector", "string", "", "deploy.selector", 1),
)
_REPLICASET_COLUMNS = _columns(
    _N, ("Desired", "integer", "", "rs.desired", 0),
    ("Current", "integer", "", "rs.current", 0), ("Ready", "integer", "", "rs.ready", 0), _A,
    ("Containers", "string", "", "containers", 1), ("Images", "string", "", "images", 1),
    ("Selector", "string", "", "rs.selector", 1),
)
# fmt: on


# registry


_PRINTERS: dict[str, _Printer] = {
    "pods": _static(_POD_COLUMNS, _pod_cells, conditions=_pod_conditions),
    "nodes": _static(_NODE_COLUMNS, _node_cells),
    "namespaces": _static(_NAMESPACE_COLUMNS, _namespace_cells),
    "resourcequotas": _static(_QUOTA_COLUMNS, _quota_cells),
    "limitranges": _static(_DEFAULT_COLUMNS, _default_cells),
    "persistentvolumeclaims": _static(_PVC_COLUMNS, _pvc_cells),
    "events": _static(_EVENT_COLUMNS, _event_cells),
    "deployments": _static(_DEPLOYMENT_COLUMNS, _deployment_cells),
    "replicasets": _static(_REPLICASET_COLUMNS, _replicaset_cells),
    "pods.metrics.k8s.io": _Printer(_metrics_columns, _metrics_cells),
    "nodes.metrics.k8s.io": _Printer(_metrics_columns, _metrics_cells),
}
_FALLBACK = _static(_FALLBACK_COLUMNS, lambda obj, now: [_name(obj), _age(obj, now)])

# (apiVersion, kind) to stamp on includeObject=Object rows, whose stored dicts may lack them.
_KINDS: dict[str, tuple[str, str]] = {
    "pods": ("v1", "Pod"), "nodes": ("v1", "Node"), "namespaces": ("v1", "Namespace"),
    "resourcequotas": ("v1", "ResourceQuota"), "limitranges": ("v1", "LimitRange"),
    "persistentvolumeclaims": ("v1", "PersistentVolumeClaim"), "events": ("v1", "Event"),
    "deployments": ("apps/v1", "Deployment"), "replicasets": ("apps/v1", "ReplicaSet"),
    "pods.metrics.k8s.io": ("metrics.k8s.io/v1beta1", "PodMetrics"),
    "nodes.metrics.k8s.io": ("metrics.k8s.io/v1beta1", "NodeMetrics"),
}  # fmt: skip
_CORE_GROUPS = ("", "core", "apps")


def _printer_key(resource: str, items: list[dict]) -> str:
    plural, _, group = resource.lower().partition(".")
    if group in _CORE_GROUPS:
        # metrics.k8s.io reuses the plurals "pods" and "nodes"; a caller that passes only
        # the plural still gets metrics-server's columns for PodMetrics/NodeMetrics bodies.
        if plural in ("pods", "nodes") and items and "window" in items[0]:
            return f"{plural}.metrics.k8s.io"
        return plural
    return f"{plural}.{group}"


# time


def _parse_time(value: object) -> datetime | None:
    """An RFC 3339 (micro)time, or None for a missing or zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _aware(datetime.fromisoformat(value))
    except ValueError:
        return None
    return None if parsed.year == 1 and parsed == datetime(1, 1, 1, tzinfo=UTC) else parsed


def _since(value: object, now: datetime) -> str:
    """translateTimestampSince: HumanDuration of the age, "<unknown>" for no time."""
    return _ago(_parse_time(value), now)


def _ago(moment: datetime | None, now: datetime) -> str:
    return "<unknown>" if moment is None else human_duration(_aware(now) - moment)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
