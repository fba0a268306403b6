"""ResourceQuota semantics: which pods a quota's scopes select and what a pod or PVC charges.

Modelled on the Kubernetes quota evaluators (pkg/quota/v1/evaluator/core), so that usage
recomputed here agrees with what the quota controller writes into ``status.used``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from exporter.model.bodies import (
    Affinity,
    PersistentVolumeClaim,
    PodAffinityTerm,
    PodSpec,
    ResourceList,
    ResourceQuotaSpec,
    ScopedResourceSelectorRequirement,
)
from exporter.model.quantities import (
    Quantity,
    parse_quantity,
    quantity_from_json,
    resource_from_json,
)

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

# Keys a running pod charges that end when the pod ends ("pods" included: it is tied to
# the pod's life cycle, unlike count/pods).
COMPUTE_KEYS = frozenset({
    "pods",
    "cpu", "requests.cpu", "limits.cpu",
    "memory", "requests.memory", "limits.memory",
    "ephemeral-storage", "requests.ephemeral-storage", "limits.ephemeral-storage",
})  # fmt: skip
POD_COUNT_KEY = "count/pods"
POD_KEYS = COMPUTE_KEYS | {POD_COUNT_KEY}

# A quota on one of these forces every container to state it. Kubernetes keeps this
# coupling only for backward compatibility and never extended it to other resources.
CONSTRAINED_KEYS = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)

PVC_COUNT_KEY = "count/persistentvolumeclaims"
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
_PVC_KEYS = ("persistentvolumeclaims", "requests.storage")
_BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"

_REQUESTS = "requests."
_HUGEPAGES = "hugepages-"
_QOS_RESOURCES = ("cpu", "memory")
_PRIORITY_CLASS = "PriorityClass"
_AFFINITY_KINDS: tuple[Literal["podAffinity", "podAntiAffinity"], ...] = (
    "podAffinity",
    "podAntiAffinity",
)
_ONE = parse_quantity("1")
_NANOS_PER_UNIT = 10**9


@dataclass(frozen=True, slots=True)
class PodScopeFacts:
    """The few facts about a pod that ResourceQuota scopes look at."""

    terminating: bool
    best_effort: bool
    priority_class: str
    cross_namespace_affinity: bool


# Every pod has one of a few combinations of facts: one shared instance of each.
_FACTS: dict[tuple[bool, bool, str, bool], PodScopeFacts] = {}
_FACTS_LIMIT = 4096


def pod_scope_facts(spec: PodSpec, *, best_effort: bool | None = None) -> PodScopeFacts:
    """Extract the scope-relevant facts from a pod spec. Raises QuantityError on bad values.

    ``best_effort``: is_best_effort(spec), when the caller has it already."""
    deadline = spec.get("activeDeadlineSeconds")
    affinity = spec.get("affinity")
    facts = (
        deadline is not None and deadline >= 0,
        is_best_effort(spec) if best_effort is None else best_effort,
        spec.get("priorityClassName") or "",
        _uses_cross_namespace_affinity(affinity) if affinity else False,
    )
    if type(facts[2]) is not str:  # True would find the facts of 1, which it equals
        return PodScopeFacts(*facts)
    found = _FACTS.get(facts)
    if found is None:
        found = PodScopeFacts(*facts)
        if len(_FACTS) < _FACTS_LIMIT:
            _FACTS[facts] = found
    return found


def _qos_resource_lists(spec: PodSpec) -> list[ResourceList]:
    # Pod-level resources, when present at all, decide QoS on their own.
    if spec.get("resources") is not None:
        pod_level = spec["resources"]
        return [pod_level.get("requests") or {}, pod_level.get("limits") or {}]
    lists: list[ResourceList] = []
    for container in (*(spec.get("containers") or ()), *(spec.get("initContainers") or ())):
        resources = container.get("resources") or {}
        lists += [resources.get("requests") or {}, resources.get("limits") or {}]
    return lists


def is_best_effort(spec: PodSpec) -> bool:
    """Whether a pod spec has the BestEffort QoS class: no positive cpu/memory anywhere."""
    return not any(
        quantity_from_json(values[name]).nanos > 0
        for values in _qos_resource_lists(spec)
        for name in _QOS_RESOURCES
        if name in values
    )


def _cross_namespace_term(term: PodAffinityTerm) -> bool:
    # An empty namespaceSelector ({}) selects every namespace, so presence is what counts.
    return bool(term.get("namespaces")) or term.get("namespaceSelector") is not None


def _uses_cross_namespace_affinity(affinity: Affinity) -> bool:
    for kind in _AFFINITY_KINDS:
        rules = affinity.get(kind) or {}
        required = rules.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
        preferred = rules.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        terms = [*required, *(w.get("podAffinityTerm") or {} for w in preferred)]
        if any(_cross_namespace_term(term) for term in terms):
            return True
    return False


def scope_selectors(quota_spec: ResourceQuotaSpec) -> list[ScopedResourceSelectorRequirement]:
    """The quota's scopes as selector expressions: plain scopes become Exists terms."""
    plain: list[ScopedResourceSelectorRequirement] = [
        {"scopeName": s, "operator": "Exists"} for s in quota_spec.get("scopes") or ()
    ]
    selector = quota_spec.get("scopeSelector") or {}
    return [*plain, *(selector.get("matchExpressions") or ())]


def matches_scopes(quota_spec: ResourceQuotaSpec, facts: PodScopeFacts) -> bool:
    """Whether a pod with these facts is selected by every scope of the quota."""
    return all(_matches_selector(expr, facts) for expr in scope_selectors(quota_spec))


def _matches_selector(expr: ScopedResourceSelectorRequirement, facts: PodScopeFacts) -> bool:
    scope = expr.get("scopeName")
    if scope == _PRIORITY_CLASS:
        return _matches_priority_class(expr, facts.priority_class)
    by_scope: dict[str | None, bool] = {
        "Terminating": facts.terminating,
        "NotTerminating": not facts.terminating,
        "BestEffort": facts.best_effort,
        "NotBestEffort": not facts.best_effort,
        "CrossNamespacePodAffinity": facts.cross_namespace_affinity,
    }
    # Scopes the pod evaluator does not know (VolumeAttributesClass) never select a pod.
    return by_scope.get(scope, False)


def _matches_priority_class(expr: ScopedResourceSelectorRequirement, priority_class: str) -> bool:
    # Label-selector semantics over {"PriorityClass": name}, a set that is empty when the
    # pod names no priority class.
    operator = expr.get("operator")
    values = expr.get("values") or ()
    present = priority_class != ""
    if operator == "In":
        return present and priority_class in values
    if operator == "NotIn":
        return not present or priority_class not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def render_scopes(quota_spec: ResourceQuotaSpec) -> str:
    """A readable one-line rendering of scopes and scopeSelector, for a metric label."""
    parts = list(quota_spec.get("scopes") or ())
    selector = quota_spec.get("scopeSelector") or {}
    for expr in selector.get("matchExpressions") or ():
        text = f"{expr.get('scopeName', '')} {expr.get('operator', '')}"
        if expr.get("values"):
            text += f" ({','.join(expr['values'])})"
        parts.append(text)
    return ",".join(parts)


def is_terminal(phase: str | None) -> bool:
    """Whether a pod phase has ended (Succeeded or Failed); such pods charge no compute."""
    return phase in TERMINAL_PHASES


def _is_native(name: str) -> bool:
    # Unqualified names and the kubernetes.io domain belong to Kubernetes itself.
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource(name: str) -> bool:
    """Whether a container resource name is an extended resource (e.g. nvidia.com/gpu)."""
    return not _is_native(name) and not name.startswith(_REQUESTS)


def pod_quota_usage(
    requests: Mapping[str, Quantity], limits: Mapping[str, Quantity]
) -> dict[str, Quantity]:
    """What one non-terminal pod with these effective requests/limits charges per quota key."""
    usage: dict[str, Quantity] = {"pods": _ONE, POD_COUNT_KEY: _ONE}
    usage.update(compute_usage(requests, limits))
    return usage


def compute_usage(
    requests: Mapping[str, Quantity], limits: Mapping[str, Quantity]
) -> dict[str, Quantity]:
    """Quota keys covered by a set of requests/limits (without the pod count keys)."""
    usage: dict[str, Quantity] = {}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            usage[name] = usage[_REQUESTS + name] = requests[name]
        if name in limits:
            usage["limits." + name] = limits[name]
    for name, value in requests.items():
        if name.startswith(_HUGEPAGES):
            usage[name] = usage[_REQUESTS + name] = value
        elif is_extended_resource(name):
            # Extended resources cannot be overcommitted, so quota only knows requests.<name>.
            usage[_REQUESTS + name] = value
    return usage


def pod_tracks_key(key: str) -> bool:
    """Whether the pod evaluator accounts for this quota key."""
    if key in POD_KEYS or key.startswith((_HUGEPAGES, _REQUESTS + _HUGEPAGES)):
        return True
    return key.startswith(_REQUESTS) and not _is_native(key)


def is_compute_key(key: str) -> bool:
    """Whether a quota key is charged by running pods only (everything but count/pods)."""
    return key != POD_COUNT_KEY and pod_tracks_key(key)


def pvc_storage_class(pvc: PersistentVolumeClaim) -> str:
    """The claim's storage class; the legacy beta annotation wins over spec.storageClassName."""
    annotations = (pvc.get("metadata") or {}).get("annotations") or {}
    if _BETA_CLASS_ANNOTATION in annotations:
        return annotations[_BETA_CLASS_ANNOTATION]
    return (pvc.get("spec") or {}).get("storageClassName") or ""


def pvc_storage_request(pvc: PersistentVolumeClaim) -> Quantity | None:
    """Requested storage: the larger of spec request and status allocation, in whole bytes."""
    requested = ((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}
    if "storage" not in requested:
        return None
    result = resource_from_json(requested["storage"])
    allocated = ((pvc.get("status") or {}).get("allocatedResources") or {}).get("storage")
    if allocated is not None:
        result = max(result, resource_from_json(allocated))
    return _round_up_to_unit(result)


def _round_up_to_unit(value: Quantity) -> Quantity:
    # Storage quota is validated in whole bytes, so fractional requests are rounded up.
    remainder = value.nanos % _NANOS_PER_UNIT
    if remainder == 0:
        return value
    return Quantity(value.nanos - remainder + _NANOS_PER_UNIT, value.format)


def pvc_quota_usage(pvc: PersistentVolumeClaim) -> dict[str, Quantity]:
    """What one PersistentVolumeClaim charges per quota key."""
    usage = {"persistentvolumeclaims": _ONE, PVC_COUNT_KEY: _ONE}
    storage_class = pvc_storage_class(pvc)
    if storage_class:
        usage[storage_class + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims"] = _ONE
    storage = pvc_storage_request(pvc)
    if storage is not None:
        usage["requests.storage"] = storage
        if storage_class:
            usage[storage_class + STORAGE_CLASS_SUFFIX + "requests.storage"] = storage
    return usage


def pvc_tracks_key(key: str) -> bool:
    """Whether the PVC evaluator accounts for this quota key."""
    if key == PVC_COUNT_KEY or key in _PVC_KEYS:
        return True
    return any(key.endswith(STORAGE_CLASS_SUFFIX + name) for name in _PVC_KEYS)


def sum_usage(usages: Iterable[Mapping[str, Quantity]]) -> dict[str, Quantity]:
    """Add usage maps key by key (a zero total takes the format of what is added to it)."""
    total: dict[str, Quantity] = {}
    for usage in usages:
        for key, value in usage.items():
            total[key] = total[key] + value if key in total else value
    return total
