"""What a pod's containers declare, decoded once per distinct shape.

Pods of one Deployment declare the same containers, so their effective requests and
limits, per-container resources and QoS class come out the same. Decoding quantities
is most of the cost of a pod, so the result is kept, keyed by the raw values it is
computed from: container names, init-container restart policies, and the items of
each ``resources.requests`` / ``resources.limits``.

The key is exact: a shape is kept only when every one of those values is a string (or
an absent name), and a string never equals a number, a boolean or a list, so a hit
means the same text was decoded before. Specs with pod-level ``resources`` or an
``overhead`` are rare and always decoded in full.
"""

from __future__ import annotations

from typing import NamedTuple

from exporter.model.bodies import PodSpec, ResourceRequirements
from exporter.model.compact import (
    Resources,
    as_mapping,
    intern_text,
    parse_resources,
    share,
    to_resources,
)
from exporter.model.podresources import pod_limits, pod_requests
from exporter.model.quotas import is_best_effort

__all__ = ["Container", "PodShape", "decode_shape", "pod_shape"]


class Container(NamedTuple):
    """One container's own requests and limits, as declared (for compliance checks)."""

    name: str
    requests: Resources
    limits: Resources


class PodShape(NamedTuple):
    """Everything decoded from a pod's containers."""

    requests: Resources  # effective pod requests (init containers, sidecars, overhead)
    limits: Resources  # effective pod limits; an absent resource is unlimited
    containers: tuple[Container, ...]  # app containers, then init containers
    best_effort: bool  # the BestEffort QoS class, as quota scopes see it


Items = tuple[tuple[object, object], ...]  # a raw ResourceList's items
ContainerKey = tuple[object, bool, Items, Items]  # (raw name, sidecar, requests, limits)
Key = tuple[tuple[ContainerKey, ...], tuple[ContainerKey, ...]]  # (app, init containers)

# Cleared when full, so churn of distinct shapes cannot grow it without bound.
_SHAPES: dict[Key, PodShape] = {}
_SHAPES_LIMIT = 1 << 14
_NONE_DECLARED: ResourceRequirements = {}


def pod_shape(spec: PodSpec) -> PodShape:
    """Decode the containers of a pod spec, reusing the result of an identical spec.

    Raises what decoding raises (QuantityError, TypeError...) for a malformed spec."""
    key = _key(spec)
    if key is not None:
        try:
            found = _SHAPES.get(key)
        except TypeError:  # an unhashable value, a list say: malformed, decode in full
            key = found = None
        if found is not None:
            return found
    shape = decode_shape(spec)
    if key is not None and _all_text(key):
        if len(_SHAPES) >= _SHAPES_LIMIT:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape


def decode_shape(spec: PodSpec) -> PodShape:
    """Decode the containers of a pod spec in full, without the memo."""
    return PodShape(
        to_resources(pod_requests(spec)),
        to_resources(pod_limits(spec)),
        _containers(spec),
        is_best_effort(spec),
    )


def _containers(spec: PodSpec) -> tuple[Container, ...]:
    found = []
    for container in (*(spec.get("containers") or ()), *(spec.get("initContainers") or ())):
        resources = as_mapping(container.get("resources"))
        found.append(Container(
            intern_text(str(container.get("name") or "")),
            parse_resources(resources.get("requests")),
            parse_resources(resources.get("limits")),
        ))  # fmt: skip
    return share(tuple(found))


def _key(spec: PodSpec) -> Key | None:
    """The raw values the shape depends on; None for a spec decoded in full every time."""
    if spec.get("resources") is not None or spec.get("overhead"):
        return None
    app = _container_keys(spec.get("containers"))
    init = _container_keys(spec.get("initContainers"), init=True)
    if app is None or init is None:
        return None
    return app, init


def _container_keys(containers: object, *, init: bool = False) -> tuple[ContainerKey, ...] | None:
    # Only plain lists of dicts: anything else takes the full decoder, which names the fault.
    if containers is None:
        return ()
    if type(containers) is not list:
        return None
    keys = []
    for container in containers:
        key = _container_key(container, init=init)
        if key is None:
            return None
        keys.append(key)
    return tuple(keys)


def _container_key(container: object, *, init: bool) -> ContainerKey | None:
    if type(container) is not dict:
        return None
    resources = container.get("resources")
    if resources is None:
        resources = _NONE_DECLARED
    elif type(resources) is not dict:
        return None
    requests, limits = resources.get("requests"), resources.get("limits")
    if not (_plain(requests) and _plain(limits)):
        return None
    return (
        container.get("name"),
        init and container.get("restartPolicy") == "Always",  # only init containers are sidecars
        tuple(requests.items()) if requests else (),
        tuple(limits.items()) if limits else (),
    )


def _plain(values: object) -> bool:
    return values is None or type(values) is dict


def _all_text(key: Key) -> bool:
    """Whether every name and quantity of a key is text, which is what makes it exact."""
    for containers in key:
        for name, _, requests, limits in containers:
            if name is not None and type(name) is not str:
                return False
            for items in (requests, limits):
                for resource, value in items:
                    if type(resource) is not str or type(value) is not str:
                        return False
    return True
