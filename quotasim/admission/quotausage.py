"""What objects charge ResourceQuotas, as the quota evaluators (pkg/quota/v1/evaluator/core)
count it: for admission, one object at a time; for the quota controller, status.used."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from exporter.model.podresources import pod_limits, pod_requests
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
from quotasim.admission import group_resource, pod_containers

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


def _count_name(kind: str, obj: Mapping) -> str:
    group, plural = group_resource(kind, obj)
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


class Evaluator:
    """One object's view of quotas: the keys it affects, scope matching, its usage."""

    def __init__(self, kind: str, obj: Mapping) -> None:
        self.kind, self.obj = kind, obj
        self.count_names = {_count_name(kind, obj)}
        self.count_names |= {k for k, v in _LEGACY_COUNT_NAMES.items() if v in self.count_names}

    def tracks(self, key: str) -> bool:
        """Whether a quota key counts anything of this object."""
        if self.kind == "Pod":
            return pod_tracks_key(key)
        if self.kind == "PersistentVolumeClaim":
            return pvc_tracks_key(key)
        return key in self.count_names

    def selected_by(self, quota: Mapping) -> bool:
        """Whether the quota's scopes and scope selector take in this object."""
        spec = quota.get("spec") or {}
        if self.kind == "Pod":
            return matches_scopes(spec, pod_scope_facts(self.obj.get("spec") or {}))
        # Only the pod evaluator understands scopes; any scope excludes other objects.
        return not scope_selectors(spec)

    def usage(self) -> dict[str, Quantity]:
        """What creating this object charges, by quota key."""
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
        for container, _ in pod_containers(self.obj):
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


# -- the quota controller's status.used ----------------------------------------------------


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
