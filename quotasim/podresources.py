"""A pod's resources as the control plane sums them, from a raw pod dict.

component-helpers' PodRequests/PodLimits (what the scheduler and the quota evaluator
charge) and LimitRanger's own pod totals share one rule for containers: per resource,
the larger of (app containers + sidecars) and the peak of any init container together
with the sidecars started before it; a sidecar is an init container with
``restartPolicy: Always``. They differ in what comes after: quota lets pod-level
``spec.resources`` replace cpu, memory and hugepages-* and adds ``spec.overhead``;
LimitRanger lets pod-level resources replace only cpu and memory and ignores overhead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from quotasim.quantities import Quantity, QuantityError

ResourceList = dict[str, Quantity]

SIDECAR = "Always"  # the restartPolicy that makes an init container a sidecar
HUGEPAGES = "hugepages-"


@dataclass(frozen=True, slots=True)
class Accounting:
    """Which pod-level rules a caller applies on top of the container totals."""

    pod_level_hugepages: bool
    overhead: bool


QUOTA = Accounting(pod_level_hugepages=True, overhead=True)
LIMIT_RANGER = Accounting(pod_level_hugepages=False, overhead=False)


def decode_list(raw: object) -> ResourceList:
    """A ResourceList field (name -> quantity); absent or null is empty."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise QuantityError(f"a resource list is a mapping, not {raw!r}")
    return {str(name): Quantity.decode(value) for name, value in raw.items()}


def add_into(total: ResourceList, more: Mapping[str, Quantity]) -> None:
    """addResourceList: a resource seen first is taken as is (keeping its text)."""
    for name, quantity in more.items():
        total[name] = total[name] + quantity if name in total else quantity


def max_into(total: ResourceList, other: Mapping[str, Quantity]) -> None:
    """maxResourceList: each resource raised to `other`'s value where that is larger."""
    for name, quantity in other.items():
        if name not in total or quantity > total[name]:
            total[name] = quantity


def containers(pod: Mapping) -> list[tuple[dict, str]]:
    """A pod's app containers, then its init containers, each with the word errors use."""
    spec = pod.get("spec") or {}
    return [
        *((c, "container") for c in spec.get("containers") or ()),
        *((c, "init container") for c in spec.get("initContainers") or ()),
    ]


def container_list(container: Mapping, field: str) -> ResourceList:
    """One container's `requests` or `limits`."""
    return decode_list((container.get("resources") or {}).get(field))


def _container_totals(spec: Mapping, field: str) -> ResourceList:
    total: ResourceList = {}
    for container in spec.get("containers") or ():
        add_into(total, container_list(container, field))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or ():
        own = container_list(container, field)
        if container.get("restartPolicy") == SIDECAR:
            add_into(total, own)
            add_into(sidecars, own)
            max_into(init_peak, sidecars)
        else:
            running: ResourceList = {}
            add_into(running, own)
            add_into(running, sidecars)
            max_into(init_peak, running)
    max_into(total, init_peak)
    return total


def _pod_level_names(accounting: Accounting) -> tuple[str, ...]:
    return ("cpu", "memory", HUGEPAGES) if accounting.pod_level_hugepages else ("cpu", "memory")


def _replace_by_pod_level(
    total: ResourceList, pod_level: ResourceList, names: Iterable[str]
) -> None:
    for name, quantity in pod_level.items():
        if any(name == n or (n == HUGEPAGES and name.startswith(n)) for n in names):
            total[name] = quantity


def pod_requests(spec: Mapping, accounting: Accounting = QUOTA) -> ResourceList:
    """The pod's effective requests under `accounting`."""
    total = _container_totals(spec, "requests")
    pod_level = spec.get("resources") or {}
    _replace_by_pod_level(
        total, decode_list(pod_level.get("requests")), _pod_level_names(accounting)
    )
    if accounting.overhead:
        add_into(total, decode_list(spec.get("overhead")))
    return total


def pod_limits(spec: Mapping, accounting: Accounting = QUOTA) -> ResourceList:
    """The pod's effective limits; a resource no container limits is absent (unbounded)."""
    total = _container_totals(spec, "limits")
    pod_level = spec.get("resources") or {}
    _replace_by_pod_level(total, decode_list(pod_level.get("limits")), _pod_level_names(accounting))
    if accounting.overhead:
        # Overhead only raises limits that are set and non-zero: no limit stays no limit.
        for name, quantity in decode_list(spec.get("overhead")).items():
            if name in total and total[name].nanos:
                total[name] = total[name] + quantity
    return total


def has_pod_level_resources(spec: Mapping) -> bool:
    """IsPodLevelResourcesSet: pod-level requests or limits name cpu, memory or hugepages."""
    pod_level = spec.get("resources") or {}
    names = [*(pod_level.get("requests") or {}), *(pod_level.get("limits") or {})]
    return any(n in ("cpu", "memory") or n.startswith(HUGEPAGES) for n in names)


def requests_defaulted_from_limits(container: Mapping) -> dict:
    """The container's `resources` after API defaulting: each limit without a request
    becomes the request too (values copied as given)."""
    resources = dict(container.get("resources") or {})
    limits = resources.get("limits")
    if not isinstance(limits, Mapping) or not limits:
        return resources
    requests = dict(resources.get("requests") or {})
    resources["requests"] = requests | {k: v for k, v in limits.items() if k not in requests}
    return resources
