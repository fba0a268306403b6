"""The simulator's admission plugins (LimitRanger, ResourceQuota) and quota controller.

They work on raw API dicts and refuse requests with the messages kube-apiserver sends:
plugin/pkg/admission/limitranger/admission.go, the resourcequota admission controller in
k8s.io/apiserver (plugin/resourcequota/controller.go) and the quota evaluators in
pkg/quota/v1/evaluator/core. Where Go iterates a map (random order) we sort instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from exporter.model.podresources import default_requests_from_limits, pod_limits, pod_requests
from exporter.model.quantities import ZERO, Quantity, quantity_from_json
from exporter.model.quotas import (
    CONSTRAINED_KEYS,
    compute_usage,
    is_terminal,
    matches_scopes,
    pod_quota_usage,
    pod_scope_facts,
    pod_tracks_key,
    pvc_quota_usage,
    pvc_tracks_key,
    scope_selectors,
    sum_usage,
)
from exporter.sim.apierrors import SimError
from exporter.sim.resources import BY_KIND

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"
_ONE = quantity_from_json("1")
# The core evaluators count these objects under a bare legacy name as well as count/<name>.
# (The services evaluator's services.loadbalancers and services.nodeports are not modelled.)
_LEGACY_COUNT_NAMES = {
    "configmaps": "count/configmaps",
    "resourcequotas": "count/resourcequotas",
    "replicationcontrollers": "count/replicationcontrollers",
    "secrets": "count/secrets",
    "services": "count/services",
}
_MAX_MILLI_VALUE = (2**63 - 1) // 1000  # beyond this Go compares whole units, not milli


class AdmissionError(SimError):
    """A request refused by admission, with the API Status fields the real server sends.

    Its attributes mirror the simulator's SimError (code, reason, message, details).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int = 403,
        reason: str = "Forbidden",
        details: dict | None = None,
    ) -> None:
        super().__init__(code, reason, message, details=details or {})

    def status(self) -> dict:
        """The metav1.Status body for this refusal."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def _group_resource(kind: str, obj: Mapping) -> tuple[str, str]:
    """(group, plural resource) of an object, as the API server names it in errors."""
    api_version = obj.get("apiVersion") or "v1"
    served = BY_KIND.get((api_version, kind))
    if served is not None:
        return served.group, served.plural
    # apimachinery's UnsafeGuessKindToResource rule, for kinds the simulator does not serve.
    singular = kind.lower()
    plural = (
        singular[:-1] + "ies"
        if singular.endswith("y")
        else singular + ("es" if singular.endswith("s") else "s")
    )
    return api_version.rpartition("/")[0], plural


def forbidden(kind: str, obj: Mapping, reason_text: str) -> AdmissionError:
    """admission.NewForbidden: `<resource> "<name>" is forbidden: <reason_text>`."""
    group, plural = _group_resource(kind, obj)
    meta = obj.get("metadata") or {}
    # Before the name is generated only generateName is known, and Kubernetes prints that.
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    qualified = f"{plural}.{group}" if group else plural
    details = {"name": name, "kind": plural, **({"group": group} if group else {})}
    return AdmissionError(
        f"{qualified} {json.dumps(name)} is forbidden: {reason_text}", details=details
    )


def _aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): duplicates dropped, brackets around several."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# -- LimitRanger: mutation -----------------------------------------------------------------


def _containers(pod: Mapping) -> list[tuple[dict, str]]:
    spec = pod.get("spec") or {}
    return [
        *((c, "container") for c in spec.get("containers") or ()),
        *((c, "init container") for c in spec.get("initContainers") or ()),
    ]


def _items(limitrange: Mapping, limit_type: str) -> list[Mapping]:
    limits = (limitrange.get("spec") or {}).get("limits") or ()
    return [item for item in limits if item.get("type") == limit_type]


def container_defaults(limitrange: Mapping) -> tuple[dict, dict]:
    """(default requests, default limits) a LimitRange gives containers.

    Includes the API defaulting of Container items: a missing default comes from max,
    a missing defaultRequest from default, then from min. Later items win.
    """
    requests: dict = {}
    limits: dict = {}
    for item in _items(limitrange, "Container"):
        default = {**(item.get("max") or {}), **(item.get("default") or {})}
        requests |= {**(item.get("min") or {}), **default, **(item.get("defaultRequest") or {})}
        limits |= default
    return requests, limits


def _fill_missing(resources: dict, field: str, defaults: Mapping) -> list[str]:
    """Add the defaults a container lacks (in canonical text); return the names added."""
    missing = [name for name in defaults if name not in (resources.get(field) or {})]
    if missing:
        values = resources.setdefault(field, {})
        for name in missing:
            values[name] = str(quantity_from_json(defaults[name]))
    return sorted(missing)


def _merge_container(container: dict, label: str, requests: Mapping, limits: Mapping) -> list[str]:
    resources = container.setdefault("resources", {})
    notes = []
    for field, defaults, word in (("requests", requests, "request"), ("limits", limits, "limit")):
        added = _fill_missing(resources, field, defaults)
        if added:
            notes.append(f"{', '.join(added)} {word} for {label} {container.get('name', '')}")
    return notes


def apply_limitrange_defaults(pod: dict, limitranges: Iterable[Mapping]) -> None:
    """Mutate a pod as API defaulting and then LimitRanger's Admit do on create.

    Requests are first defaulted from limits (decoding does that before admission), then
    each LimitRange fills missing requests/limits and records what it set in the
    kubernetes.io/limit-ranger annotation.
    """
    for container, _ in _containers(pod):
        container["resources"] = default_requests_from_limits(container)
    for limitrange in limitranges:
        requests, limits = container_defaults(limitrange)
        notes = [
            note
            for container, label in _containers(pod)
            for note in _merge_container(container, label, requests, limits)
        ]
        if notes:
            annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


# -- LimitRanger: validation ---------------------------------------------------------------


def _comparable(*values: Quantity) -> list[int]:
    """Go's requestLimitEnforcedValues: milli-units when all fit, else whole units (ceil)."""
    units = [-(-q.nanos // 10**9) for q in values]
    if all(u <= _MAX_MILLI_VALUE for u in units):
        return [-(-q.nanos // 10**6) for q in values]
    return units


def _min_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, enf_v = _comparable(req or ZERO, lim or ZERO, enforced)
    if req is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_v < enf_v:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {req}"
    if lim is not None and lim_v < enf_v:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {lim}"
    return None


def _max_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, enf_v = _comparable(req or ZERO, lim or ZERO, enforced)
    if lim is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if lim_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {lim}"
    if req is not None and req_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _max_request_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, _limits: Mapping
) -> str | None:
    # PVCs: only spec.resources.requests is user input, so max applies to the request.
    req = requests.get(name)
    req_v, _, enf_v = _comparable(req or ZERO, ZERO, enforced)
    if req is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _ratio_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, _ = _comparable(req or ZERO, lim or ZERO, enforced)
    prefix = f"{name} max limit to request ratio per {kind} is {enforced}"
    if req is None or req_v == 0:
        return f"{prefix}, but no request is specified or request is 0"
    if lim is None or lim_v == 0:
        return f"{prefix}, but no limit is specified or limit is 0"
    ratio = lim_v / req_v
    enforced_units = -(-enforced.nanos // 10**9)
    observed, allowed = ratio, float(enforced_units)
    if enforced_units <= _MAX_MILLI_VALUE:
        observed, allowed = ratio * 1000, float(-(-enforced.nanos // 10**6))
    return f"{prefix}, but provided ratio is {ratio:f}" if observed > allowed else None


_POD_CHECKS = (("min", _min_error), ("max", _max_error), ("maxLimitRequestRatio", _ratio_error))
_PVC_CHECKS = (("min", _min_error), ("max", _max_request_error))


def _check(item: Mapping, checks: tuple, requests: Mapping, limits: Mapping) -> list[str]:
    errors = []
    for constraint, check in checks:
        bounds = item.get(constraint) or {}
        for name in sorted(bounds):
            error = check(item["type"], name, quantity_from_json(bounds[name]), requests, limits)
            if error:
                errors.append(error)
    return errors


def _parsed(values: Mapping | None) -> dict[str, Quantity]:
    return {name: quantity_from_json(v) for name, v in (values or {}).items()}


def _pod_limit_errors(limitrange: Mapping, pod: Mapping) -> list[str]:
    spec = pod.get("spec") or {}
    # LimitRanger's pod totals honour pod-level resources (the contract treats that feature
    # as on) but, unlike quota, leave out spec.overhead.
    bare = {k: v for k, v in spec.items() if k != "overhead"}
    errors = []
    for item in (limitrange.get("spec") or {}).get("limits") or ():
        if item.get("type") == "Container":
            for container, _ in _containers(pod):
                resources = container.get("resources") or {}
                errors += _check(
                    item,
                    _POD_CHECKS,
                    _parsed(resources.get("requests")),
                    _parsed(resources.get("limits")),
                )
        elif item.get("type") == "Pod":
            errors += _check(item, _POD_CHECKS, pod_requests(bare), pod_limits(bare))
    return errors


def _pvc_limit_errors(limitrange: Mapping, pvc: Mapping) -> list[str]:
    requests = _parsed(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
    errors = []
    for item in _items(limitrange, "PersistentVolumeClaim"):
        errors += _check(item, _PVC_CHECKS, requests, {})
    return errors


def validate_limitranges(kind: str, obj: Mapping, limitranges: Iterable[Mapping]) -> None:
    """LimitRanger's Validate on create: the first LimitRange violated refuses the request.

    Raises AdmissionError (403) listing every violation of that LimitRange.
    """
    collect = {"Pod": _pod_limit_errors, "PersistentVolumeClaim": _pvc_limit_errors}.get(kind)
    if collect is None:
        return
    for limitrange in limitranges:
        errors = collect(limitrange, obj)
        if errors:
            raise forbidden(kind, obj, _aggregate(errors))


# -- ResourceQuota: what an object charges -------------------------------------------------


def _hard(quota: Mapping) -> Mapping:
    # Admission enforces status.hard; it is absent only until the controller first syncs.
    status_hard = (quota.get("status") or {}).get("hard")
    return status_hard if status_hard is not None else (quota.get("spec") or {}).get("hard") or {}


def _name(obj: Mapping) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _count_name(kind: str, obj: Mapping) -> str:
    group, plural = _group_resource(kind, obj)
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def _count_tracks_key(key: str) -> bool:
    return (
        key.startswith("count/") and not pod_tracks_key(key) and not pvc_tracks_key(key)
    ) or key in _LEGACY_COUNT_NAMES


def pod_usage(pod: Mapping) -> dict[str, Quantity]:
    """What a stored pod charges: count/pods always, compute only while it is not terminal."""
    if is_terminal((pod.get("status") or {}).get("phase")):
        return {"count/pods": _ONE}
    spec = pod.get("spec") or {}
    return pod_quota_usage(pod_requests(spec), pod_limits(spec))


class _Evaluator:
    """One object's view of quotas: the keys it affects, scope matching, its usage."""

    def __init__(self, kind: str, obj: Mapping) -> None:
        self.kind, self.obj = kind, obj
        self.count_names = {_count_name(kind, obj)}
        self.count_names |= {k for k, v in _LEGACY_COUNT_NAMES.items() if v in self.count_names}

    def tracks(self, key: str) -> bool:
        if self.kind == "Pod":
            return pod_tracks_key(key)
        if self.kind == "PersistentVolumeClaim":
            return pvc_tracks_key(key)
        return key in self.count_names

    def selected_by(self, quota: Mapping) -> bool:
        spec = quota.get("spec") or {}
        if self.kind == "Pod":
            return matches_scopes(spec, pod_scope_facts(self.obj.get("spec") or {}))
        # Only the pod evaluator understands scopes; any scope excludes other objects.
        return not scope_selectors(spec)

    def usage(self) -> dict[str, Quantity]:
        if self.kind == "Pod":
            return pod_usage(self.obj)
        if self.kind == "PersistentVolumeClaim":
            return pvc_quota_usage(self.obj)
        return dict.fromkeys(self.count_names, _ONE)

    def constraint_error(self, required: Iterable[str]) -> str | None:
        """The pod evaluator's "must specify" check; other kinds have no constraints."""
        required_set = set(required) & CONSTRAINED_KEYS
        if self.kind != "Pod" or not required_set or _has_pod_level_resources(self.obj):
            return None
        missing: dict[str, set[str]] = {}
        for container, _ in _containers(self.obj):
            for key in required_set - _container_keys(container):
                missing.setdefault(key, set()).add(container.get("name", ""))
        if not missing:
            return None
        parts = [f"{key} for: {','.join(sorted(missing[key]))}" for key in sorted(missing)]
        return "must specify " + "; ".join(parts)


def _has_pod_level_resources(pod: Mapping) -> bool:
    resources = (pod.get("spec") or {}).get("resources") or {}
    named = {*(resources.get("requests") or {}), *(resources.get("limits") or {})}
    return any(name in ("cpu", "memory") or name.startswith("hugepages-") for name in named)


def _container_keys(container: Mapping) -> set[str]:
    resources = container.get("resources") or {}
    requests = dict.fromkeys(resources.get("requests") or {}, _ONE)
    limits = dict.fromkeys(resources.get("limits") or {}, _ONE)
    return set(compute_usage(requests, limits))


# -- ResourceQuota: the controller's status.used -------------------------------------------


def quota_used(
    quota: Mapping,
    *,
    pods: Iterable[Mapping],
    pvcs: Iterable[Mapping],
    object_counts: Mapping[str, int],
) -> dict[str, str]:
    """status.used as the quota controller computes it, for the keys of spec.hard it tracks.

    Pods and PVCs of other namespaces are ignored; untracked keys are left out.
    """
    hard = (quota.get("spec") or {}).get("hard") or {}
    namespace = (quota.get("metadata") or {}).get("namespace")
    mine = [p for p in pods if _in_namespace(p, namespace)]
    totals = sum_usage(
        [
            _pod_totals(quota, mine),
            _pvc_totals(quota, [c for c in pvcs if _in_namespace(c, namespace)]),
            _count_totals(quota, object_counts),
        ]
    )
    tracked = [k for k in hard if pod_tracks_key(k) or pvc_tracks_key(k) or _count_tracks_key(k)]
    return {key: str(totals.get(key, ZERO)) for key in tracked}


def _in_namespace(obj: Mapping, namespace: str | None) -> bool:
    own = (obj.get("metadata") or {}).get("namespace")
    return namespace is None or own is None or own == namespace


def _pod_totals(quota: Mapping, pods: list[Mapping]) -> dict[str, Quantity]:
    spec = quota.get("spec") or {}
    selected = (p for p in pods if matches_scopes(spec, pod_scope_facts(p.get("spec") or {})))
    return sum_usage(pod_usage(p) for p in selected)


def _pvc_totals(quota: Mapping, pvcs: list[Mapping]) -> dict[str, Quantity]:
    if scope_selectors(quota.get("spec") or {}):
        return {}
    return sum_usage(pvc_quota_usage(c) for c in pvcs)


def _count_totals(quota: Mapping, object_counts: Mapping[str, int]) -> dict[str, Quantity]:
    if scope_selectors(quota.get("spec") or {}):
        return {}
    hard = (quota.get("spec") or {}).get("hard") or {}
    totals = {}
    for key in filter(_count_tracks_key, hard):
        count = object_counts.get(_LEGACY_COUNT_NAMES.get(key, key), 0)
        totals[key] = Quantity(count * _ONE.nanos, _ONE.format)
    return totals


# -- ResourceQuota: admission --------------------------------------------------------------


def _pretty(values: Mapping[str, Quantity], keys: Iterable[str]) -> str:
    """prettyPrint: `key=value` pairs sorted by key, joined by commas."""
    return ",".join(f"{key}={values[key]}" for key in sorted(keys) if key in values)


def _used(quota: Mapping) -> dict[str, Quantity]:
    used = (quota.get("status") or {}).get("used") or {}
    return {key: quantity_from_json(value) for key, value in used.items()}


def _pertinent(evaluator: _Evaluator, quotas: list[Mapping]) -> list[Mapping]:
    """Quotas that constrain the object; refuse it if one has a constraint it breaks."""
    pertinent = []
    for quota in quotas:
        restricted = [key for key in _hard(quota) if evaluator.tracks(key)]
        if not restricted or not evaluator.selected_by(quota):
            continue
        error = evaluator.constraint_error(restricted)
        if error:
            raise forbidden(evaluator.kind, evaluator.obj, f"failed quota: {_name(quota)}: {error}")
        used = (quota.get("status") or {}).get("used") or {}
        if any(key not in used for key in restricted):
            names = ",".join(sorted(restricted))
            raise forbidden(
                evaluator.kind,
                evaluator.obj,
                f"status unknown for quota: {_name(quota)}, resources: {names}",
            )
        pertinent.append(quota)
    return pertinent


def _charge(evaluator: _Evaluator, quota: Mapping, delta: Mapping[str, Quantity]) -> dict | None:
    """The quota's new used map, or None when it is unchanged; raise if it would be exceeded."""
    hard = {k: quantity_from_json(v) for k, v in _hard(quota).items()}
    used = _used(quota)
    requested = {k: v for k, v in delta.items() if k in hard}
    new_used = dict(used)
    for key, value in requested.items():
        new_used[key] = used[key] + value if key in used else value
    exceeded = [key for key in requested if new_used[key] > hard[key]]
    if exceeded:
        raise forbidden(
            evaluator.kind,
            evaluator.obj,
            f"exceeded quota: {_name(quota)}, requested: {_pretty(requested, exceeded)}"
            f", used: {_pretty(used, exceeded)}, limited: {_pretty(hard, exceeded)}",
        )
    if new_used == used:
        return None
    return {key: str(value) for key, value in new_used.items()}


def check_quotas(kind: str, obj: Mapping, quotas: Iterable[Mapping]) -> dict[str, dict[str, str]]:
    """ResourceQuota admission for creating obj; returns {quota name: new status.used}.

    Quotas are checked in name order (what a LIST returns; the real plugin's cache order is
    unspecified): first every pertinent quota's constraints ("failed quota: ... must
    specify ..."), then the charges ("exceeded quota: ..."). Raises AdmissionError (403).
    """
    evaluator = _Evaluator(kind, obj)
    pertinent = _pertinent(evaluator, sorted(quotas, key=_name))
    usage = evaluator.usage()
    negative = sorted(key for key, value in usage.items() if value.nanos < 0)
    if negative:
        raise forbidden(kind, obj, "quota usage is negative for resource(s): " + ",".join(negative))
    delta = {key: value for key, value in usage.items() if value.nanos != 0}
    charged = {}
    for quota in pertinent if delta else ():
        new_used = _charge(evaluator, quota, delta)
        if new_used is not None:
            charged[_name(quota)] = new_used
    return charged
