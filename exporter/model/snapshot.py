"""An immutable view of the cluster state at one moment, for collectors to read.

Rows hold tuples and frozen records only, so a snapshot can be read at leisure (even
from another thread) while the event loop keeps applying watch events.

A snapshot is a sorted tuple of per-namespace views. ``Views`` rebuilds only the views
of namespaces touched since the last snapshot and hands the others out again, so a
snapshot after a few events costs O(changed namespaces), not O(cluster). Each view
carries its namespace's version: equal versions mean equal views, which is what lets
the text renderer (exporter.metrics.exposition) re-render only what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exporter.model.aggregates import Space
from exporter.model.compact import Resources
from exporter.model.compliance import Violations
from exporter.model.records import LimitRangeRecord, NodeRecord, PvcRecord, QuotaRecord
from exporter.model.rejectiontotals import Totals

Counts = tuple[tuple[str, int], ...]  # (label value, count), sorted


@dataclass(frozen=True, slots=True)
class NamespaceRow:
    """The workload sums of one namespace that has pods or claims holding storage."""

    namespace: str
    team: str
    requests: Resources  # effective requests of non-terminal pods, plus claimed "storage"
    limits: Resources
    phases: Counts  # every pod, by phase
    without_requests: Counts  # containers of non-terminal pods, by resource
    without_limits: Counts
    storage: Resources = ()  # nanos of storage requested by Bound/Pending claims, by class


@dataclass(frozen=True, slots=True)
class QuotaRow:
    """One ResourceQuota with its namespace's team and the usage recomputed from pods."""

    team: str
    quota: QuotaRecord
    observed: Resources  # compute keys of quota.hard only


@dataclass(frozen=True, slots=True)
class LimitRangeRow:
    """One LimitRange with its namespace's team."""

    team: str
    limitrange: LimitRangeRecord


@dataclass(frozen=True, slots=True)
class SpaceView:
    """Everything exported about one namespace; ``version`` changes whenever it does."""

    namespace: str
    team: str
    version: int
    row: NamespaceRow | None  # None without pods or storage claims
    quotas: tuple[QuotaRow, ...] = ()
    limitranges: tuple[LimitRangeRow, ...] = ()
    pvcs: tuple[PvcRecord, ...] = ()
    violations: Violations = ()  # (limitrange, resource, constraint, count)
    rejections: Totals = ()  # of the namespace's current quotas only


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """Every namespace the state knows (objects or a Namespace), sorted, and the nodes."""

    spaces: tuple[SpaceView, ...] = ()
    nodes: tuple[NodeRecord, ...] = ()

    @property
    def namespaces(self) -> tuple[NamespaceRow, ...]:
        """The workload rows, sorted by namespace."""
        return tuple(view.row for view in self.spaces if view.row is not None)

    @property
    def quotas(self) -> tuple[QuotaRow, ...]:
        """Every quota, sorted by namespace then name."""
        return tuple(row for view in self.spaces for row in view.quotas)

    @property
    def limitranges(self) -> tuple[LimitRangeRow, ...]:
        """Every LimitRange, sorted by namespace then name."""
        return tuple(row for view in self.spaces for row in view.limitranges)

    @property
    def pvcs(self) -> tuple[PvcRecord, ...]:
        """Every PersistentVolumeClaim, sorted by namespace then name."""
        return tuple(pvc for view in self.spaces for pvc in view.pvcs)


EMPTY_SNAPSHOT = StateSnapshot()


class Views:
    """Per-namespace versions and the views built from them, rebuilt only when touched."""

    def __init__(self) -> None:
        self._clock = 0  # versions come from one counter: a recreated namespace gets a new one
        self._versions: dict[str, int] = {}
        self._views: dict[str, SpaceView] = {}
        self._order: tuple[str, ...] = ()  # sorted names of _views
        self._dirty: set[str] = set()

    def touch(self, namespace: str) -> None:
        """Something exported about ``namespace`` changed (an object, its team, rejections)."""
        self._clock += 1
        self._versions[namespace] = self._clock
        self._dirty.add(namespace)

    def version(self, namespace: str) -> int:
        """The namespace's current version (0 while nothing is known about it)."""
        return self._versions.get(namespace, 0)

    def build(
        self,
        spaces: Mapping[str, Space],
        *,
        nodes: Mapping[str, NodeRecord],
        known: Mapping[str, object],
        team_of: Callable[[str], str],
        rejections: Mapping[str, Totals],
    ) -> StateSnapshot:
        """A snapshot with the touched views rebuilt from ``spaces``; ``known`` holds the
        Namespace objects (a namespace without objects still gets a view)."""
        added_or_gone = False
        for namespace in self._dirty:
            space = spaces.get(namespace)
            if space is None and namespace not in known:
                added_or_gone |= self._views.pop(namespace, None) is not None
                self._versions.pop(namespace, None)
                continue
            added_or_gone |= namespace not in self._views
            self._views[namespace] = _view(
                namespace, space, team=team_of(namespace), version=self._versions[namespace],
                rejections=rejections.get(namespace, ()),
            )  # fmt: skip
        self._dirty.clear()
        if added_or_gone:
            self._order = tuple(sorted(self._views))
        views = tuple(self._views[n] for n in self._order)
        return StateSnapshot(views, tuple(nodes[n] for n in sorted(nodes)))


def _view(
    namespace: str, space: Space | None, *, team: str, version: int, rejections: Totals
) -> SpaceView:
    if space is None:
        return SpaceView(namespace, team, version, None)
    quota_names = sorted(space.quotas)
    return SpaceView(
        namespace=namespace,
        team=team,
        version=version,
        row=_namespace_row(namespace, team, space),
        quotas=tuple(
            QuotaRow(team, space.quotas[n], tuple(sorted(space.observed[n].items())))
            for n in quota_names
        ),
        limitranges=tuple(
            LimitRangeRow(team, space.limitranges[n]) for n in sorted(space.limitranges)
        ),
        pvcs=tuple(space.pvcs[n] for n in sorted(space.pvcs)),
        violations=space.compliance.items(),
        rejections=tuple(item for item in rejections if item[0] in space.quotas),
    )


def _namespace_row(namespace: str, team: str, space: Space) -> NamespaceRow | None:
    storage, aggregate = space.storage.items(), space.aggregate
    if aggregate is None:
        if not storage:
            return None
        return NamespaceRow(namespace, team, _with_storage((), storage), (), (), (), (), storage)
    return NamespaceRow(
        namespace=namespace,
        team=team,
        requests=_with_storage(aggregate.requests.items(), storage),
        limits=aggregate.limits.items(),
        phases=_counts(aggregate.phases),
        without_requests=_counts(aggregate.without_requests),
        without_limits=_counts(aggregate.without_limits),
        storage=storage,
    )


def _with_storage(requests: Resources, storage: Resources) -> Resources:
    """Pod requests plus what the claims request, as the resource "storage"."""
    if not storage:
        return requests
    merged = dict(requests)
    merged["storage"] = merged.get("storage", 0) + sum(nanos for _, nanos in storage)
    return tuple(sorted(merged.items()))


def _counts(counts: Mapping[str, int]) -> Counts:
    return tuple(sorted(counts.items()))
