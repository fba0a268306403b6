"""Quota evaluators: per kind, the quota keys it accounts for, the scopes that select an
object, what the object charges, and the pod evaluator's "must specify" constraint.

After pkg/quota/v1/evaluator/core (pods, persistentvolumeclaims) and the generic object
count evaluator of k8s.io/apiserver, for Kubernetes v1.36.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from quotasim.podresources import (
    ResourceList,
    containers,
    decode_list,
    has_pod_level_resources,
    pod_limits,
    pod_requests,
)
from quotasim.quantities import NANO, Quantity
from quotasim.quota import scopes
from quotasim.resources import group_resource

ONE = Quantity.count(1)
REQUESTS = "requests."
HUGEPAGES = "hugepages-"
DEVICE_CLASS = "deviceclass.resource.kubernetes.io/"
POD_COUNT = "count/pods"
_POD_KEYS = frozenset({
    POD_COUNT, "pods",
    "cpu", "memory", "ephemeral-storage",
    "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage",
})  # fmt: skip
# A quota on these makes every container state them, unless the pod sizes itself.
_MUST_SPECIFY = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
)
_TERMINAL = ("Succeeded", "Failed")
_OVERCOMMITTABLE = ("cpu", "memory", "ephemeral-storage")
_QUALIFIED = re.compile(
    r"(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)

PVC_COUNT = "count/persistentvolumeclaims"
_PVC_KEYS = ("persistentvolumeclaims", "requests.storage")
STORAGE_CLASS = ".storageclass.storage.k8s.io/"
_BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
VOLUME_ATTRIBUTES_CLASS = "VolumeAttributesClass"

# Bare legacy names the core evaluators count objects under, beside count/<resource>.
# (The services evaluator's services.loadbalancers and services.nodeports are not modelled.)
LEGACY_COUNTS = {
    "configmaps": "count/configmaps",
    "resourcequotas": "count/resourcequotas",
    "replicationcontrollers": "count/replicationcontrollers",
    "secrets": "count/secrets",
    "services": "count/services",
}


def _native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _extended(name: str) -> bool:
    """IsExtendedResourceName: not native, not a quota key, and a valid quota name."""
    if _native(name) or name.startswith(REQUESTS):
        return False
    key = REQUESTS + name
    return _QUALIFIED.fullmatch(key) is not None and len(key.split("/")[0]) <= 253


def _extended_quota_key(key: str) -> bool:
    return key.startswith(REQUESTS) and (
        not _native(key) or key.startswith(REQUESTS + DEVICE_CLASS)
    )


def compute_usage(requests: Mapping[str, Quantity], limits: Mapping[str, Quantity]) -> ResourceList:
    """podComputeUsageHelper: the quota keys a set of requests and limits charges."""
    usage: ResourceList = {"pods": ONE}
    for name, request in requests.items():
        standard = name in _OVERCOMMITTABLE or name.startswith(HUGEPAGES)
        if standard:
            usage[name] = request  # the bare legacy key counts requests
        if standard or _extended(name) or name.startswith(DEVICE_CLASS):
            usage[REQUESTS + name] = request
    for name, limit in limits.items():
        if name in _OVERCOMMITTABLE:  # extended resources cannot be overcommitted
            usage["limits." + name] = limit
    return usage


class PodEvaluator:
    """Pods: compute keys while the pod runs, count/pods always; scopes apply."""

    def matching(self, keys: Iterable[str]) -> list[str]:
        """The quota keys this evaluator accounts for."""
        return [
            k
            for k in keys
            if k in _POD_KEYS
            or k.startswith((HUGEPAGES, REQUESTS + HUGEPAGES))
            or _extended_quota_key(k)
        ]

    def selected(self, quota: Mapping, pod: Mapping) -> bool:
        """Whether the quota's scopes take in the pod."""
        return scopes.pod_in_scope(quota, pod)

    def usage(self, pod: Mapping) -> ResourceList:
        """What the pod charges; a terminal pod is only an object."""
        if (pod.get("status") or {}).get("phase") in _TERMINAL:
            return {POD_COUNT: ONE}
        spec = pod.get("spec") or {}
        return {POD_COUNT: ONE, **compute_usage(pod_requests(spec), pod_limits(spec))}

    def constraint_error(self, required: Iterable[str], pod: Mapping) -> str | None:
        """ "must specify ..." for containers lacking a cpu or memory key the quota limits."""
        wanted = set(required) & _MUST_SPECIFY
        if not wanted or has_pod_level_resources(pod.get("spec") or {}):
            return None
        missing: dict[str, set[str]] = {}
        for container, _ in containers(pod):
            resources = container.get("resources") or {}
            names = compute_usage(
                dict.fromkeys(resources.get("requests") or {}, ONE),
                dict.fromkeys(resources.get("limits") or {}, ONE),
            )
            for key in wanted - set(names):
                missing.setdefault(key, set()).add(container.get("name", ""))
        if not missing:
            return None
        return "must specify " + "; ".join(
            f"{key} for: {','.join(sorted(missing[key]))}" for key in sorted(missing)
        )


def storage_class(pvc: Mapping) -> str:
    """The claim's class: the beta annotation first, then spec.storageClassName."""
    annotations = (pvc.get("metadata") or {}).get("annotations") or {}
    if _BETA_CLASS_ANNOTATION in annotations:
        return annotations[_BETA_CLASS_ANNOTATION]
    return (pvc.get("spec") or {}).get("storageClassName") or ""


def _whole_bytes(quantity: Quantity) -> Quantity:
    if quantity.nanos % NANO == 0:
        return quantity
    return Quantity(quantity.value() * NANO, quantity.format)


def storage_request(pvc: Mapping) -> Quantity | None:
    """The storage a claim charges: its request, or the larger allocation, in whole bytes."""
    requests = decode_list(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
    if "storage" not in requests:
        return None
    charged = _whole_bytes(requests["storage"])
    allocated = decode_list((pvc.get("status") or {}).get("allocatedResources")).get("storage")
    if allocated is not None and allocated > charged:
        charged = _whole_bytes(allocated)
    return charged


def _attribute_classes(pvc: Mapping) -> set[str]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    target = (status.get("modifyVolumeStatus") or {}).get("targetVolumeAttributesClassName")
    names = (spec.get("volumeAttributesClassName"), status.get("currentVolumeAttributesClassName"))
    return {n for n in (*names, target) if n}


def _claim_selected_by(term: Mapping, pvc: Mapping) -> bool:
    if term.get("scopeName") != VOLUME_ATTRIBUTES_CLASS:
        return False
    operator, values, classes = (
        term.get("operator"),
        term.get("values") or (),
        _attribute_classes(pvc),
    )
    if operator == "Exists":
        return bool(classes)
    if operator == "DoesNotExist":
        return not classes
    if operator == "In":
        return any(c in values for c in classes)
    if operator == "NotIn":
        return not classes or any(c not in values for c in classes)
    return False


class ClaimEvaluator:
    """PersistentVolumeClaims: counts and storage, in total and per storage class."""

    def matching(self, keys: Iterable[str]) -> list[str]:
        """The quota keys this evaluator accounts for."""
        return [
            k
            for k in keys
            if k == PVC_COUNT
            or k in _PVC_KEYS
            or k.endswith(tuple(STORAGE_CLASS + n for n in _PVC_KEYS))
        ]

    def selected(self, quota: Mapping, pvc: Mapping) -> bool:
        """Only the VolumeAttributesClass scope selects claims."""
        return all(_claim_selected_by(term, pvc) for term in scopes.selectors(quota))

    def usage(self, pvc: Mapping) -> ResourceList:
        """What the claim charges."""
        storage = storage_request(pvc)
        charged = {"persistentvolumeclaims": ONE}
        if storage is not None:
            charged["requests.storage"] = storage
        klass = storage_class(pvc)
        # The same charges again under the class's keys, e.g. gold.storageclass...
        by_class = (
            {f"{klass}{STORAGE_CLASS}{key}": q for key, q in charged.items()} if klass else {}
        )
        return {PVC_COUNT: ONE, **charged, **by_class}

    def constraint_error(self, required: Iterable[str], pvc: Mapping) -> str | None:
        """Claims have no constraints."""
        return None


class CountEvaluator:
    """Any other kind: one object under count/<resource>[.<group>] (and a legacy name)."""

    def __init__(self, count_key: str) -> None:
        self.keys = {count_key} | {old for old, key in LEGACY_COUNTS.items() if key == count_key}

    def matching(self, keys: Iterable[str]) -> list[str]:
        """The quota keys this evaluator accounts for."""
        return [k for k in keys if k in self.keys]

    def selected(self, quota: Mapping, obj: Mapping) -> bool:
        """No scope selects a counted object."""
        return not scopes.selectors(quota)

    def usage(self, obj: Mapping) -> ResourceList:
        """One of this kind."""
        return dict.fromkeys(sorted(self.keys), ONE)

    def constraint_error(self, required: Iterable[str], obj: Mapping) -> str | None:
        """Counted objects have no constraints."""
        return None


Evaluator = PodEvaluator | ClaimEvaluator | CountEvaluator


def count_key(kind: str, obj: Mapping) -> str:
    """ObjectCountQuotaResourceNameFor: count/<plural>, with .<group> outside the core."""
    group, plural = group_resource(kind, obj)
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def evaluator_for(kind: str, obj: Mapping) -> Evaluator:
    """The evaluator quota admission and the controller use for objects of `kind`."""
    if kind == "Pod":
        return PodEvaluator()
    if kind == "PersistentVolumeClaim":
        return ClaimEvaluator()
    return CountEvaluator(count_key(kind, obj))
