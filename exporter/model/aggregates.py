"""Per-namespace sums over pods, kept up to date one pod change at a time.

Every change is applied as "take the old record's contribution away, add the new
one", so an event costs O(resources of one pod), never O(pods in the namespace). Values
are integer nanos, so adding and removing in any order ends exactly where a
recomputation from scratch would.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from exporter.model.compact import Resources, intern_text, resources_dict
from exporter.model.compliance import Compliance
from exporter.model.quotas import is_compute_key, pod_quota_usage
from exporter.model.records import (
    Container,
    LimitRangeRecord,
    PodRecord,
    PvcRecord,
    QuotaRecord,
)

# Resources whose absence from a container the compliance metrics report.
COMPLIANCE_RESOURCES = ("cpu", "memory")
# Claims that hold (Bound) or are waiting for (Pending) storage; a Lost claim holds none.
STORAGE_PHASES = frozenset({"Bound", "Pending"})
_NANO = 10**9


class Tally:
    """Sums per key, where a key exists while at least one contributor declares it.

    Counting contributors (not testing for a zero sum) keeps a resource that pods
    request at 0 visible, and drops one that no live pod names any more.
    """

    __slots__ = ("_counts", "_sums")

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._sums: dict[str, int] = {}

    def add(self, resources: Resources, sign: int) -> None:
        """Add (sign=1) or take away (sign=-1) one contributor's values."""
        counts, sums = self._counts, self._sums
        for key, nanos in resources:
            count = counts.get(key, 0) + sign
            if count:
                counts[key] = count
                sums[key] = sums.get(key, 0) + sign * nanos
            else:
                del counts[key], sums[key]

    def items(self) -> Resources:
        """The sums as a sorted (key, nanos) tuple."""
        return tuple(sorted(self._sums.items()))


class NamespaceAggregate:
    """What the pods of one namespace add up to."""

    __slots__ = ("limits", "phases", "pods", "requests", "without_limits", "without_requests")

    def __init__(self) -> None:
        self.pods = 0  # every pod, terminal or not: the aggregate lives while this is > 0
        self.phases: dict[str, int] = {}  # every pod, by phase
        self.requests = Tally()  # non-terminal pods only, as in the rest below
        self.limits = Tally()
        self.without_requests = dict.fromkeys(COMPLIANCE_RESOURCES, 0)
        self.without_limits = dict.fromkeys(COMPLIANCE_RESOURCES, 0)

    def apply(self, pod: PodRecord, sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) one pod's contribution."""
        self.pods += sign
        count = self.phases.get(pod.phase, 0) + sign
        if count:
            self.phases[pod.phase] = count
        else:
            del self.phases[pod.phase]
        if pod.terminal:
            return
        self.requests.add(pod.requests, sign)
        self.limits.add(pod.limits, sign)
        without_requests, without_limits = undeclared(pod.containers)
        for resource, count in without_requests:
            self.without_requests[resource] += sign * count
        for resource, count in without_limits:
            self.without_limits[resource] += sign * count


@functools.lru_cache(maxsize=4096)
def undeclared(containers: tuple[Container, ...]) -> tuple[Resources, Resources]:
    """Per compliance resource, how many of the containers do not request it, and how
    many do not limit it (a resource that every container declares is left out).

    Cached: pods of one template share their containers."""
    return (
        _undeclared_in(container.requests for container in containers),
        _undeclared_in(container.limits for container in containers),
    )


def _undeclared_in(declared: Iterable[Resources]) -> Resources:
    missing = dict.fromkeys(COMPLIANCE_RESOURCES, 0)
    for resources in declared:
        names = {name for name, _ in resources}
        for resource in COMPLIANCE_RESOURCES:
            if resource not in names:
                missing[resource] += 1
    return tuple((name, count) for name, count in missing.items() if count)


@functools.lru_cache(maxsize=4096)
def pod_compute_charge(requests: Resources, limits: Resources) -> Resources:
    """What a live pod with these effective requests/limits charges to quota compute keys.

    Cached: pods of one template share their resource tuples, so the key repeats.
    """
    usage = pod_quota_usage(resources_dict(requests), resources_dict(limits))
    return tuple(sorted((intern_text(k), q.nanos) for k, q in usage.items() if is_compute_key(k)))


def empty_observed(quota: QuotaRecord) -> dict[str, int]:
    """Observed usage at zero for each compute key the quota limits."""
    return {key: 0 for key, _ in quota.hard if is_compute_key(key)}


def charge_quota(observed: dict[str, int], quota: QuotaRecord, pod: PodRecord, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one pod's charge to a quota's observed usage."""
    if pod.terminal or not observed or not quota.selects(pod.scope):
        return
    for key, nanos in pod_compute_charge(pod.requests, pod.limits):
        if key in observed:
            observed[key] += sign * nanos


def observe_quota(quota: QuotaRecord, pods: dict[str, PodRecord] | None) -> dict[str, int]:
    """A quota's observed usage recomputed from the namespace's pods (on quota changes)."""
    observed = empty_observed(quota)
    for pod in (pods or {}).values():
        charge_quota(observed, quota, pod, 1)
    return observed


class Space:
    """The objects of one namespace, and what its pods and claims add up to, kept current."""

    __slots__ = (
        "aggregate", "compliance", "limitranges", "observed", "pods", "pvcs", "quotas", "storage",
    )  # fmt: skip

    def __init__(self) -> None:
        self.pods: dict[str, PodRecord] = {}
        self.quotas: dict[str, QuotaRecord] = {}
        self.observed: dict[str, dict[str, int]] = {}  # quota name -> key -> nanos
        self.limitranges: dict[str, LimitRangeRecord] = {}
        self.pvcs: dict[str, PvcRecord] = {}
        self.aggregate: NamespaceAggregate | None = None  # None while it has no pods
        self.compliance = Compliance()
        self.storage = Tally()  # storage class -> requested nanos of Bound/Pending claims

    def empty(self) -> bool:
        """Whether nothing of this namespace is left."""
        return not (self.pods or self.quotas or self.limitranges or self.pvcs)

    def put_pod(self, name: str, pod: PodRecord) -> bool:
        """Add or replace a pod, moving the sums by the difference; False when no sum,
        count or violation moved (a status-only change: conditions, IPs)."""
        old = self.pods.get(name)
        self.pods[name] = pod
        if old is not None and _same_charge(old, pod):
            return False
        if old is not None:
            self._charge(old, -1)
        self._charge(pod, 1)
        return True

    def remove_pod(self, name: str) -> bool:
        """Remove a pod; False when it was not there."""
        old = self.pods.pop(name, None)
        if old is not None:
            self._charge(old, -1)
        return old is not None

    def put_quota(self, name: str, quota: QuotaRecord) -> None:
        """Add or replace a quota, recounting its observed usage when its keys changed."""
        old = self.quotas.get(name)
        self.quotas[name] = quota
        # status.used moves with every pod; only new keys or scopes need a recount.
        if old is None or (old.hard_keys(), old.scope_terms) != (
            quota.hard_keys(),
            quota.scope_terms,
        ):
            self.observed[name] = observe_quota(quota, self.pods)

    def remove_quota(self, name: str) -> bool:
        """Remove a quota; False when it was not there."""
        if self.quotas.pop(name, None) is None:
            return False
        del self.observed[name]
        return True

    def put_limitrange(self, name: str, limitrange: LimitRangeRecord) -> None:
        """Add or replace a LimitRange and re-evaluate every pod against the new set."""
        old = self.limitranges.get(name)
        self.limitranges[name] = limitrange
        if old is None or old.items != limitrange.items:
            self.compliance.reset(self.limitranges, self.pods.values())

    def remove_limitrange(self, name: str) -> bool:
        """Remove a LimitRange; False when it was not there."""
        if self.limitranges.pop(name, None) is None:
            return False
        self.compliance.reset(self.limitranges, self.pods.values())
        return True

    def put_pvc(self, name: str, pvc: PvcRecord) -> None:
        """Add or replace a claim, moving the storage sums by the difference."""
        old = self.pvcs.get(name)
        self.pvcs[name] = pvc
        if old is not None:
            self.storage.add(_claim(old), -1)
        self.storage.add(_claim(pvc), 1)

    def remove_pvc(self, name: str) -> bool:
        """Remove a claim; False when it was not there."""
        old = self.pvcs.pop(name, None)
        if old is not None:
            self.storage.add(_claim(old), -1)
        return old is not None

    def _charge(self, pod: PodRecord, sign: int) -> None:
        if self.aggregate is None:
            self.aggregate = NamespaceAggregate()
        self.aggregate.apply(pod, sign)
        if self.aggregate.pods == 0:
            self.aggregate = None
        for name, quota in self.quotas.items():
            charge_quota(self.observed[name], quota, pod, sign)
        self.compliance.apply(pod, sign)


def _claim(pvc: PvcRecord) -> Resources:
    """What a claim adds to the per-class storage sums: nothing unless it holds storage."""
    if pvc.requested_bytes is None or pvc.phase not in STORAGE_PHASES:
        return ()
    return ((pvc.storage_class, pvc.requested_bytes * _NANO),)


def _same_charge(old: PodRecord, new: PodRecord) -> bool:
    # Shared tuples make these mostly identity checks.
    return (
        old.phase == new.phase
        and old.requests == new.requests
        and old.limits == new.limits
        and old.containers == new.containers
        and old.scope == new.scope
    )
