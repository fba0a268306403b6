"""Compact records decoded once from API bodies, holding only what quotameter reads.

A watched cluster can hold 100,000 pods, so records are frozen slotted objects with
resource tuples (see model.compact), interned strings and shared tuples; whole bodies
are never kept. Decoders raise DecodeError on anything malformed: callers count it
and skip the object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import NamedTuple

from exporter.model.bodies import (
    ApiObject,
    LimitRange,
    Namespace,
    Node,
    PersistentVolumeClaim,
    Pod,
    ResourceQuota,
    ResourceQuotaSpec,
    ScopedResourceSelectorRequirement,
)
from exporter.model.compact import (
    Resources,
    as_mapping,
    first_label,
    intern_text,
    mapping_or_empty,
    parse_money,
    parse_resources,
    pick_pairs,
    share,
)
from exporter.model.podshapes import Container, pod_shape
from exporter.model.quantities import QuantityError
from exporter.model.quotas import (
    TERMINAL_PHASES,
    PodScopeFacts,
    matches_scopes,
    pod_scope_facts,
    pvc_storage_class,
    pvc_storage_request,
    render_scopes,
    scope_selectors,
)

__all__ = [
    "BUDGET_ANNOTATION",
    "DEFAULT_TEAM_LABELS",
    "LIMIT_CONSTRAINTS",
    "VCLUSTER_MANAGED_BY",
    "VCLUSTER_NAMESPACE",
    "Container",
    "DecodeError",
    "LimitRangeRecord",
    "NamespaceRecord",
    "NodeRecord",
    "PodRecord",
    "PvcRecord",
    "QuotaRecord",
    "ScopeTerm",
    "decode_limitrange",
    "decode_namespace",
    "decode_node",
    "decode_pod",
    "decode_pvc",
    "decode_quota",
    "object_key",
]

VCLUSTER_MANAGED_BY = "vcluster.loft.sh/managed-by"
VCLUSTER_NAMESPACE = "vcluster.loft.sh/namespace"
BUDGET_ANNOTATION = "quotameter.io/monthly-budget"
DEFAULT_TEAM_LABELS = ("team",)
LIMIT_CONSTRAINTS = ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio")

# What a malformed body makes the decoding helpers raise: bad quantities, and the
# wrong JSON type where a mapping, list or string belongs.
_MALFORMED = (QuantityError, TypeError, AttributeError, ValueError)


class DecodeError(ValueError):
    """An API object that cannot be decoded; the message names the object and the field."""


class ScopeTerm(NamedTuple):
    """One quota scope as a selector expression (a plain scope becomes Exists)."""

    scope: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PodRecord:
    """A pod reduced to its effective resources, phase, placement and ownership."""

    namespace: str
    name: str
    uid: str
    phase: str
    node: str
    requests: Resources  # effective pod requests (init containers, sidecars, overhead)
    limits: Resources  # effective pod limits; an absent resource is unlimited
    containers: tuple[Container, ...]  # app containers, then init containers
    scope: PodScopeFacts
    team: str | None  # the pod's own team label
    vcluster: str | None  # the vcluster that synced this pod, if any
    virtual_namespace: str | None  # the pod's namespace inside that vcluster

    @property
    def terminal(self) -> bool:
        """Whether the pod has ended (Succeeded or Failed) and charges no compute."""
        return self.phase in TERMINAL_PHASES  # is_terminal, without a call: read per event


@dataclass(frozen=True, slots=True)
class NamespaceRecord:
    """A namespace: the labels and annotations team rules look at, and its budget."""

    name: str
    labels: tuple[tuple[str, str], ...]  # only the keys team rules name
    annotations: tuple[tuple[str, str], ...]  # likewise
    monthly_budget: Decimal | None
    budget_invalid: bool = False  # the budget annotation was present but not a number


@dataclass(frozen=True, slots=True)
class QuotaRecord:
    """A ResourceQuota: what admission enforces (status) and which pods it selects."""

    namespace: str
    name: str
    hard: Resources
    used: Resources
    scope_terms: tuple[ScopeTerm, ...]
    scopes: str  # scopes and scopeSelector rendered on one line, for a label

    def hard_keys(self) -> tuple[str, ...]:
        """The resource keys the quota limits."""
        return tuple(key for key, _ in self.hard)

    def selects(self, facts: PodScopeFacts) -> bool:
        """Whether a pod with these scope facts is charged to this quota."""
        if not self.scope_terms:
            return True
        terms: list[ScopedResourceSelectorRequirement] = [
            {"scopeName": t.scope, "operator": t.operator, "values": t.values}
            for t in self.scope_terms
        ]
        return matches_scopes({"scopeSelector": {"matchExpressions": terms}}, facts)


@dataclass(frozen=True, slots=True)
class LimitRangeRecord:
    """A LimitRange flattened to (type, resource, constraint, nanos) items."""

    namespace: str
    name: str
    items: tuple[tuple[str, str, str, int], ...]


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node's labels (pricing selects on them), capacity and allocatable resources."""

    name: str
    labels: tuple[tuple[str, str], ...]
    capacity: Resources
    allocatable: Resources


@dataclass(frozen=True, slots=True)
class PvcRecord:
    """A PersistentVolumeClaim: its storage class and requested bytes."""

    namespace: str
    name: str
    storage_class: str
    requested_bytes: int | None  # None when the claim requests no storage
    phase: str


def object_key(body: ApiObject) -> tuple[str, str]:
    """(namespace, name) of an API object; namespace is "" for cluster-scoped kinds."""
    # type() first: JSON decodes to dicts, and the Mapping ABC check is slow.
    meta = body.get("metadata") if type(body) is dict or isinstance(body, Mapping) else None
    if type(meta) is not dict and not isinstance(meta, Mapping):
        raise DecodeError("object without metadata")
    name, namespace = meta.get("name"), meta.get("namespace") or ""
    if not isinstance(name, str) or not name or not isinstance(namespace, str):
        raise DecodeError("object without a valid metadata.name / metadata.namespace")
    return intern_text(namespace), name


def decode_pod(body: Pod, *, team_labels: tuple[str, ...] = DEFAULT_TEAM_LABELS) -> PodRecord:
    """Decode a Pod; ``team_labels`` are the label keys naming a team, first present wins."""
    namespace, name = object_key(body)
    try:
        meta, spec = body["metadata"], as_mapping(body.get("spec"))
        labels = as_mapping(meta.get("labels"))
        shape = pod_shape(spec)
        scope = pod_scope_facts(spec, best_effort=shape.best_effort)
        if type(scope.priority_class) is not str:
            scope = share(scope)  # refuses an unhashable one (a list, say) as malformed
        return PodRecord(
            namespace,
            name,
            str(meta.get("uid") or ""),
            intern_text(mapping_or_empty(body.get("status")).get("phase") or "Pending"),
            intern_text(spec.get("nodeName") or ""),
            shape.requests,
            shape.limits,
            shape.containers,
            scope,
            *_pod_labels(labels, team_labels),
        )
    except _MALFORMED as e:
        raise DecodeError(f"pod {namespace}/{name}: {e}") from e


def _pod_labels(
    labels: Mapping[str, str], team_labels: tuple[str, ...]
) -> tuple[str | None, str | None, str | None]:
    """(team, vcluster, virtual namespace) from a pod's labels."""
    if not labels:
        return None, None, None
    vcluster, virtual_namespace = labels.get(VCLUSTER_MANAGED_BY), labels.get(VCLUSTER_NAMESPACE)
    return (
        first_label(labels, team_labels),
        intern_text(str(vcluster)) if vcluster else None,  # as first_label, for one key
        intern_text(str(virtual_namespace)) if virtual_namespace else None,
    )


def decode_namespace(
    body: Namespace,
    *,
    label_keys: tuple[str, ...] = DEFAULT_TEAM_LABELS,
    annotation_keys: tuple[str, ...] = (),
) -> NamespaceRecord:
    """Decode a Namespace, keeping only the label and annotation keys asked for.

    A malformed budget does not fail the namespace (its team still matters): it is
    decoded as no budget with ``budget_invalid`` set, for the caller to count.
    """
    _, name = object_key(body)
    try:
        meta = body["metadata"]
        labels, annotations = as_mapping(meta.get("labels")), as_mapping(meta.get("annotations"))
        record = NamespaceRecord(
            name=intern_text(name),
            labels=pick_pairs(labels, label_keys),
            annotations=pick_pairs(annotations, annotation_keys),
            monthly_budget=None,
        )
    except _MALFORMED as e:
        raise DecodeError(f"namespace {name}: {e}") from e
    try:
        return replace(record, monthly_budget=parse_money(annotations.get(BUDGET_ANNOTATION)))
    except ValueError:
        return replace(record, budget_invalid=True)


def decode_quota(body: ResourceQuota) -> QuotaRecord:
    """Decode a ResourceQuota; hard/used come from status, spec.hard only until status.hard."""
    namespace, name = object_key(body)
    try:
        spec, status = as_mapping(body.get("spec")), mapping_or_empty(body.get("status"))
        hard = status["hard"] if status.get("hard") is not None else spec.get("hard")
        return QuotaRecord(
            namespace=namespace,
            name=name,
            hard=parse_resources(hard),
            used=parse_resources(status.get("used")),
            scope_terms=_scope_terms(spec),
            scopes=intern_text(render_scopes(spec)),
        )
    except _MALFORMED as e:
        raise DecodeError(f"resourcequota {namespace}/{name}: {e}") from e


def decode_limitrange(body: LimitRange) -> LimitRangeRecord:
    """Decode a LimitRange into flat (type, resource, constraint, nanos) items."""
    namespace, name = object_key(body)
    try:
        items = []
        for limit in as_mapping(body.get("spec")).get("limits") or ():
            kind = intern_text(str(limit.get("type") or ""))
            for constraint in LIMIT_CONSTRAINTS:
                for resource, nanos in parse_resources(limit.get(constraint)):
                    items.append((kind, resource, constraint, nanos))
        return LimitRangeRecord(namespace, name, tuple(items))
    except _MALFORMED as e:
        raise DecodeError(f"limitrange {namespace}/{name}: {e}") from e


def decode_node(body: Node) -> NodeRecord:
    """Decode a Node with all its labels (nodes are few, and pricing may select on any)."""
    _, name = object_key(body)
    try:
        labels = as_mapping(body["metadata"].get("labels"))
        status = mapping_or_empty(body.get("status"))
        return NodeRecord(
            name=intern_text(name),
            labels=tuple(sorted((intern_text(k), intern_text(str(v))) for k, v in labels.items())),
            capacity=parse_resources(status.get("capacity")),
            allocatable=parse_resources(status.get("allocatable")),
        )
    except _MALFORMED as e:
        raise DecodeError(f"node {name}: {e}") from e


def decode_pvc(body: PersistentVolumeClaim) -> PvcRecord:
    """Decode a PersistentVolumeClaim: its class and requested bytes (rounded up)."""
    namespace, name = object_key(body)
    try:
        storage = pvc_storage_request(body)
        return PvcRecord(
            namespace=namespace,
            name=name,
            storage_class=intern_text(pvc_storage_class(body)),
            requested_bytes=None if storage is None else storage.nanos // 10**9,
            phase=intern_text(mapping_or_empty(body.get("status")).get("phase") or "Pending"),
        )
    except _MALFORMED as e:
        raise DecodeError(f"persistentvolumeclaim {namespace}/{name}: {e}") from e


def _scope_terms(spec: ResourceQuotaSpec) -> tuple[ScopeTerm, ...]:
    return tuple(
        ScopeTerm(intern_text(str(e.get("scopeName") or "")),
                  intern_text(str(e.get("operator") or "")),
                  tuple(str(v) for v in e.get("values") or ()))
        for e in scope_selectors(spec)
    )  # fmt: skip
