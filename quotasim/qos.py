"""A pod's QoS class, as the API server computes it into status.qosClass on create.

Only cpu and memory count, and only positive values. With pod-level `spec.resources`
present at all, they alone decide; otherwise every container and init container does.
Guaranteed needs cpu and memory limits everywhere and requests equal to limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quotasim.podresources import ResourceList, add_into, decode_list

BEST_EFFORT, BURSTABLE, GUARANTEED = "BestEffort", "Burstable", "Guaranteed"
_QOS_RESOURCES = ("cpu", "memory")


def _positive(raw: object) -> ResourceList:
    return {
        name: q for name, q in decode_list(raw).items() if name in _QOS_RESOURCES and q.nanos > 0
    }


def _sides(spec: Mapping) -> Iterable[Mapping]:
    """The requests/limits pairs that decide: pod level, or each container."""
    if spec.get("resources") is not None:
        return [spec["resources"]]
    everyone = [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]
    return [c.get("resources") or {} for c in everyone]


def qos_class(spec: Mapping) -> str:
    """ComputePodQOS of a pod spec: BestEffort, Burstable or Guaranteed."""
    requests: ResourceList = {}
    limits: ResourceList = {}
    limited_everywhere = True
    for resources in _sides(spec):
        add_into(requests, _positive(resources.get("requests")))
        own_limits = _positive(resources.get("limits"))
        add_into(limits, own_limits)
        pod_level_without_limits = resources is spec.get("resources") and not own_limits
        if set(own_limits) != set(_QOS_RESOURCES) and not pod_level_without_limits:
            limited_everywhere = False
    if not requests and not limits:
        return BEST_EFFORT
    equal = all(name in limits and limits[name] == q for name, q in requests.items())
    if limited_everywhere and equal and len(requests) == len(limits):
        return GUARANTEED
    return BURSTABLE
