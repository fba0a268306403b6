"""LimitRange compliance: which running containers and pods break a namespace's LimitRanges.

Admission (the LimitRanger plugin) checks pods only when they are created, so a
LimitRange tightened later leaves running pods outside it; this module finds them.
Each constraint is checked as LimitRanger checks it, on exact nano values:

- ``min``: a request must be present and >= min; a limit, when present, >= min.
- ``max``: a limit must be present and <= max; a request, when present, <= max.
- ``maxLimitRequestRatio``: request and limit must be present and non-zero, and
  limit / request <= the ratio.

``Container`` items are checked against every container (init containers included, as
LimitRanger does); ``Pod`` items against the pod's effective requests and limits (the
scheduler's formula, so RuntimeClass overhead is included where LimitRanger, which runs
before overhead is set, would leave it out). Terminal pods are not checked.

``Compliance`` keeps the counts of one namespace current: a pod change moves them by the
difference (the old record's violations out, the new one's in), a LimitRange change
re-evaluates every pod of the namespace.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

from exporter.model.compact import Resources, resource_value
from exporter.model.records import Container, LimitRangeRecord, PodRecord

CHECKED_CONSTRAINTS = ("min", "max", "maxLimitRequestRatio")
CHECKED_TYPES = ("Container", "Pod")
_NANO = 10**9

Check = tuple[str, str, str, int]  # (type, resource, constraint, enforced nanos)
ViolationKey = tuple[str, str, str]  # (limitrange, resource, constraint)
Violations = tuple[tuple[str, str, str, int], ...]  # (limitrange, resource, constraint, count)


def limitrange_checks(record: LimitRangeRecord) -> tuple[Check, ...]:
    """The items of a LimitRange that running pods can break (min, max, ratio of
    Container and Pod limits); defaults only matter at admission."""
    return tuple(
        item for item in record.items
        if item[0] in CHECKED_TYPES and item[2] in CHECKED_CONSTRAINTS
    )  # fmt: skip


def violates(constraint: str, enforced: int, request: int | None, limit: int | None) -> bool:
    """Whether a request/limit pair (nanos; None when absent) breaks one constraint."""
    if constraint == "min":
        return request is None or request < enforced or (limit is not None and limit < enforced)
    if constraint == "max":
        return limit is None or limit > enforced or (request is not None and request > enforced)
    if not request or not limit:  # maxLimitRequestRatio needs both, non-zero
        return True
    # limit / request > enforced / 1e9, kept in integers so the comparison is exact.
    return limit * _NANO > enforced * request


def pod_violations(
    pod: PodRecord, checks: Iterable[tuple[str, tuple[Check, ...]]]
) -> Iterator[ViolationKey]:
    """One key per container (Container items) or pod (Pod items) breaking a constraint;
    ``checks`` pairs each LimitRange name with its limitrange_checks()."""
    if not pod.terminal:
        yield from _violations_of(checks, pod.requests, pod.limits, pod.containers)


def _violations_of(
    checks: Iterable[tuple[str, tuple[Check, ...]]],
    requests: Resources,
    limits: Resources,
    containers: tuple[Container, ...],
) -> Iterator[ViolationKey]:
    pod_level = ((requests, limits),)
    declared = tuple((c.requests, c.limits) for c in containers)
    for name, items in checks:
        for kind, resource, constraint, enforced in items:
            for own_requests, own_limits in pod_level if kind == "Pod" else declared:
                request = resource_value(own_requests, resource)
                if violates(constraint, enforced, request, resource_value(own_limits, resource)):
                    yield name, resource, constraint


@functools.lru_cache(maxsize=4096)
def _live_violations(
    checks: tuple[tuple[str, tuple[Check, ...]], ...],
    requests: Resources,
    limits: Resources,
    containers: tuple[Container, ...],
) -> tuple[ViolationKey, ...]:
    # Cached: namespaces tend to share their LimitRanges, pods of one template their
    # resources, so most pods are checked without looking at a single constraint.
    return tuple(_violations_of(checks, requests, limits, containers))


class Compliance:
    """Violation counts of one namespace, per (limitrange, resource, constraint).

    Every checked constraint of every LimitRange has a count, 0 included, so a series
    exists from the moment the LimitRange does.
    """

    __slots__ = ("_checks", "_counts")

    def __init__(self) -> None:
        self._checks: tuple[tuple[str, tuple[Check, ...]], ...] = ()
        self._counts: dict[ViolationKey, int] = {}

    def reset(self, limitranges: Mapping[str, LimitRangeRecord], pods: Iterable[PodRecord]) -> None:
        """Re-evaluate every pod against the namespace's current LimitRanges."""
        self._checks = tuple(
            (name, checks)
            for name in sorted(limitranges)
            if (checks := limitrange_checks(limitranges[name]))
        )
        self._counts = {
            (name, resource, constraint): 0
            for name, checks in self._checks
            for _, resource, constraint, _ in checks
        }
        for pod in pods:
            self.apply(pod, 1)

    def apply(self, pod: PodRecord, sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) one pod's violations."""
        if self._checks and not pod.terminal:
            for key in _live_violations(self._checks, pod.requests, pod.limits, pod.containers):
                self._counts[key] += sign

    def items(self) -> Violations:
        """The counts as a sorted (limitrange, resource, constraint, count) tuple."""
        return tuple(sorted((*key, count) for key, count in self._counts.items()))
