"""The API bodies quotameter reads, as TypedDicts: the fields it looks at (and a few a
test's literal body carries, marked "not read", so that such literals are checked too).

These are the shapes the API promises, not what a body is known to hold: a body is
untrusted JSON (a hostile or broken cluster may send a list where a mapping belongs),
so the decoders still check what they read and refuse a malformed object. Every
type is ``total=False``: any field may be absent, and ``{}`` is a body of each.

They live in ``model`` because its decoders read them; ``kube`` delivers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict, TypeGuard

ResourceList = dict[str, str]  # resource name -> quantity text ("500m", "1Gi")


class ObjectMeta(TypedDict, total=False):
    name: str
    namespace: str
    uid: str
    resourceVersion: str
    creationTimestamp: str
    labels: dict[str, str]
    annotations: dict[str, str]


class ApiObject(TypedDict, total=False):
    """Any object of a LIST or WATCH; its resource path says which kind it is."""

    metadata: ObjectMeta


class Status(TypedDict, total=False):
    """The body of a failed request, and the object of a watch ERROR event."""

    code: int
    reason: str
    message: str


# -- pods ---------------------------------------------------------------------------


class ResourceRequirements(TypedDict, total=False):
    requests: ResourceList
    limits: ResourceList


class Container(TypedDict, total=False):
    name: str
    resources: ResourceRequirements
    restartPolicy: str  # on an init container, "Always" makes it a sidecar
    image: str  # not read


class PodAffinityTerm(TypedDict, total=False):
    namespaces: list[str]
    namespaceSelector: dict[str, object]  # a label selector; only its presence matters


class WeightedPodAffinityTerm(TypedDict, total=False):
    podAffinityTerm: PodAffinityTerm


class PodAffinity(TypedDict, total=False):
    requiredDuringSchedulingIgnoredDuringExecution: list[PodAffinityTerm]
    preferredDuringSchedulingIgnoredDuringExecution: list[WeightedPodAffinityTerm]


class Affinity(TypedDict, total=False):
    podAffinity: PodAffinity
    podAntiAffinity: PodAffinity


class PodSpec(TypedDict, total=False):
    nodeName: str
    containers: list[Container]
    initContainers: list[Container]
    resources: ResourceRequirements  # pod-level resources
    overhead: ResourceList
    activeDeadlineSeconds: int
    priorityClassName: str
    affinity: Affinity


class PodStatus(TypedDict, total=False):
    phase: str
    podIP: str  # not read: a status-only change, to the daemon


class Pod(ApiObject, total=False):
    spec: PodSpec
    status: PodStatus


# -- quotas and limits ----------------------------------------------------------------


class ScopedResourceSelectorRequirement(TypedDict, total=False):
    scopeName: str
    operator: str
    values: Sequence[str]  # a list in JSON; a tuple when built from a QuotaRecord


class ScopeSelector(TypedDict, total=False):
    matchExpressions: list[ScopedResourceSelectorRequirement]


class ResourceQuotaSpec(TypedDict, total=False):
    hard: ResourceList
    scopes: list[str]
    scopeSelector: ScopeSelector


class ResourceQuotaStatus(TypedDict, total=False):
    hard: ResourceList
    used: ResourceList


class ResourceQuota(ApiObject, total=False):
    spec: ResourceQuotaSpec
    status: ResourceQuotaStatus


class LimitRangeItem(TypedDict, total=False):
    type: str
    min: ResourceList
    max: ResourceList
    default: ResourceList
    defaultRequest: ResourceList
    maxLimitRequestRatio: ResourceList


class LimitRangeSpec(TypedDict, total=False):
    limits: list[LimitRangeItem]


class LimitRange(ApiObject, total=False):
    spec: LimitRangeSpec


# -- nodes, claims, namespaces ----------------------------------------------------------


class NodeStatus(TypedDict, total=False):
    capacity: ResourceList
    allocatable: ResourceList


class Node(ApiObject, total=False):
    status: NodeStatus


class PersistentVolumeClaimSpec(TypedDict, total=False):
    storageClassName: str
    resources: ResourceRequirements


class PersistentVolumeClaimStatus(TypedDict, total=False):
    phase: str
    allocatedResources: ResourceList


class PersistentVolumeClaim(ApiObject, total=False):
    spec: PersistentVolumeClaimSpec
    status: PersistentVolumeClaimStatus


class Namespace(ApiObject, total=False):
    pass  # its labels and annotations are all quotameter reads


# -- events and usage ---------------------------------------------------------------------


class ObjectReference(TypedDict, total=False):
    kind: str
    namespace: str
    name: str


class EventSeries(TypedDict, total=False):
    count: int
    lastObservedTime: str


class Event(ApiObject, total=False):
    """A core/v1 Event (events.k8s.io/v1 writes reach it with ``series``)."""

    reason: str
    message: str
    count: int
    series: EventSeries
    involvedObject: ObjectReference
    firstTimestamp: str
    lastTimestamp: str
    eventTime: str


class ContainerMetrics(TypedDict, total=False):
    name: str
    usage: ResourceList


class PodMetrics(ApiObject, total=False):
    """A metrics.k8s.io PodMetrics item."""

    containers: list[ContainerMetrics]
    timestamp: str  # not read
    window: str  # not read


# What an informer delivers: an object of one of the watched kinds (its path says which).
WatchedObject = Namespace | Pod | ResourceQuota | LimitRange | Node | PersistentVolumeClaim | Event


def is_object(value: object) -> TypeGuard[WatchedObject]:
    """Whether decoded JSON is an object: then taken as the body its path promises (its
    fields are checked where they are decoded)."""
    return isinstance(value, dict)
