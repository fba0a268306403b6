"""Effective pod requests and limits, computed from a raw pod spec as Kubernetes does.

Ports k8s.io/component-helpers/resource ``PodRequests`` / ``PodLimits`` with the options
the scheduler and the ResourceQuota evaluator use for a pod's spec (status-based resize
accounting aside): per resource,

    max(sum(app containers) + sum(sidecars),
        max over init containers i of (init_i + sidecars declared before i))

then pod-level ``spec.resources`` replaces the supported resources and ``spec.overhead``
is added. A sidecar is an init container with ``restartPolicy: Always``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from exporter.model.bodies import Container, PodSpec, ResourceRequirements
from exporter.model.quantities import Quantity, QuantityError, resource_from_json

__all__ = ["default_requests_from_limits", "pod_limits", "pod_requests"]

ResourceList = dict[str, Quantity]
Side = Literal["requests", "limits"]

# Pod-level resources may set only these (plus hugepages-*); others are ignored there.
_POD_LEVEL_RESOURCES = frozenset({"cpu", "memory"})
_HUGEPAGES_PREFIX = "hugepages-"


def pod_requests(spec: PodSpec) -> ResourceList:
    """Effective requests of a pod spec, keyed by resource name (cpu, memory, ...).

    Raises QuantityError naming the container and resource for a malformed quantity.
    """
    totals = _aggregate_containers(spec, "requests")
    _apply_pod_level(totals, spec, "requests")
    _add_into(totals, _resource_list(spec.get("overhead"), "spec.overhead"))
    return totals


def pod_limits(spec: PodSpec) -> ResourceList:
    """Effective limits of a pod spec; a resource no container limits is absent (unlimited).

    Raises QuantityError naming the container and resource for a malformed quantity.
    """
    totals = _aggregate_containers(spec, "limits")
    _apply_pod_level(totals, spec, "limits")
    # Overhead only raises limits that exist and are non-zero: unlimited stays unlimited.
    for name, quantity in _resource_list(spec.get("overhead"), "spec.overhead").items():
        if totals.get(name):
            totals[name] = totals[name] + quantity
    return totals


def default_requests_from_limits(container: Container) -> ResourceRequirements:
    """Return a copy of the container's ``resources`` with requests defaulted from limits.

    This is the API server's pod defaulting: each limit without a matching request
    becomes the request too. Values are copied verbatim; nothing is parsed.
    """
    resources = (container.get("resources") or {}).copy()
    limits = resources.get("limits")
    if not isinstance(limits, Mapping) or not limits:
        return resources
    requests = dict(resources.get("requests") or {})
    for name, value in limits.items():
        requests.setdefault(name, value)
    resources["requests"] = requests
    return resources


def _aggregate_containers(spec: PodSpec, kind: Side) -> ResourceList:
    """Combine app containers, sidecars and init containers per the sidecar KEP formula."""
    totals: ResourceList = {}
    for container in _containers(spec, "containers"):
        _add_into(totals, _container_list(container, kind))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in _containers(spec, "initContainers"):
        own = _container_list(container, kind)
        if container.get("restartPolicy") == "Always":
            # A sidecar runs beside the app containers and every init container after it.
            _add_into(totals, own)
            _add_into(sidecars, own)
            _max_into(init_peak, sidecars)
        else:
            running = dict(own)
            _add_into(running, sidecars)
            _max_into(init_peak, running)
    _max_into(totals, init_peak)
    return totals


def _apply_pod_level(totals: ResourceList, spec: PodSpec, kind: Side) -> None:
    """Let pod-level ``spec.resources`` override the resources it may set."""
    resources = spec.get("resources")
    if not resources:
        return
    if not isinstance(resources, Mapping):
        raise QuantityError(f"spec.resources: expected a mapping, got {type(resources).__name__}")
    for name, quantity in _resource_list(resources.get(kind), f"spec.resources.{kind}").items():
        if name in _POD_LEVEL_RESOURCES or name.startswith(_HUGEPAGES_PREFIX):
            totals[name] = quantity


def _containers(
    spec: PodSpec, field: Literal["containers", "initContainers"]
) -> Iterator[Container]:
    """Yield the containers listed under ``field``, treating absent or null as none."""
    containers = spec.get(field) or ()
    if not isinstance(containers, list | tuple):
        raise QuantityError(f"spec.{field}: expected a list, got {type(containers).__name__}")
    for index, container in enumerate(containers):
        if not isinstance(container, Mapping):
            raise QuantityError(f"spec.{field}[{index}]: expected a mapping")
        yield container


def _container_list(container: Container, kind: Side) -> ResourceList:
    """Parse one container's requests or limits, naming the container on error."""
    resources = container.get("resources") or {}
    where = f"container {container.get('name', '?')!r} resources.{kind}"
    if not isinstance(resources, Mapping):
        raise QuantityError(f"{where}: expected a mapping, got {type(resources).__name__}")
    return _resource_list(resources.get(kind), where)


def _resource_list(raw: object, where: str) -> ResourceList:
    """Parse a ResourceList mapping (name -> quantity); ``where`` prefixes any error."""
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise QuantityError(f"{where}: expected a mapping, got {type(raw).__name__}")
    parsed: ResourceList = {}
    for name, value in raw.items():
        try:
            parsed[str(name)] = resource_from_json(value)
        except QuantityError as e:
            raise QuantityError(f"{where}[{name!r}]: {e}") from e
    return parsed


def _add_into(target: ResourceList, source: ResourceList) -> None:
    """Add each quantity of ``source`` into ``target``, as addResourceList does."""
    for name, quantity in source.items():
        current = target.get(name)
        target[name] = quantity if current is None else current + quantity


def _max_into(target: ResourceList, source: ResourceList) -> None:
    """Raise each entry of ``target`` to ``source``'s where that is larger."""
    for name, quantity in source.items():
        current = target.get(name)
        if current is None or quantity > current:
            target[name] = quantity
