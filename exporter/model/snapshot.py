"""An immutable view of the cluster state at one moment, for collectors to read.

Rows hold tuples and frozen records only, so a snapshot can be read at leisure (even
from another thread) while the event loop keeps applying watch events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exporter.model.aggregates import NamespaceAggregate, Space
from exporter.model.compact import Resources
from exporter.model.records import LimitRangeRecord, NodeRecord, PvcRecord, QuotaRecord

Counts = tuple[tuple[str, int], ...]  # (label value, count), sorted


@dataclass(frozen=True, slots=True)
class NamespaceRow:
    """The workload sums of one namespace that has pods."""

    namespace: str
    team: str
    requests: Resources  # effective requests of non-terminal pods, summed
    limits: Resources
    phases: Counts  # every pod, by phase
    without_requests: Counts  # containers of non-terminal pods, by resource
    without_limits: Counts


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
class StateSnapshot:
    """Everything the namespace-level collectors read, sorted by namespace then name."""

    namespaces: tuple[NamespaceRow, ...]
    quotas: tuple[QuotaRow, ...]
    limitranges: tuple[LimitRangeRow, ...]
    nodes: tuple[NodeRecord, ...]
    pvcs: tuple[PvcRecord, ...]


EMPTY_SNAPSHOT = StateSnapshot((), (), (), (), ())


def build_snapshot(
    spaces: Mapping[str, Space],
    nodes: Mapping[str, NodeRecord],
    *,
    team_of: Callable[[str], str],
) -> StateSnapshot:
    """Copy the live per-namespace state into an immutable snapshot."""
    rows, quotas, limitranges, pvcs = [], [], [], []
    for namespace in sorted(spaces):
        space, team = spaces[namespace], team_of(namespace)
        if space.aggregate is not None:
            rows.append(_namespace_row(namespace, team, space.aggregate))
        for name in sorted(space.quotas):
            observed = tuple(sorted(space.observed[name].items()))
            quotas.append(QuotaRow(team, space.quotas[name], observed))
        limitranges += (
            LimitRangeRow(team, space.limitranges[n]) for n in sorted(space.limitranges)
        )
        pvcs += (space.pvcs[n] for n in sorted(space.pvcs))
    return StateSnapshot(
        namespaces=tuple(rows),
        quotas=tuple(quotas),
        limitranges=tuple(limitranges),
        nodes=tuple(nodes[n] for n in sorted(nodes)),
        pvcs=tuple(pvcs),
    )


def _namespace_row(namespace: str, team: str, aggregate: NamespaceAggregate) -> NamespaceRow:
    return NamespaceRow(
        namespace=namespace,
        team=team,
        requests=aggregate.requests.items(),
        limits=aggregate.limits.items(),
        phases=tuple(sorted(aggregate.phases.items())),
        without_requests=tuple(sorted(aggregate.without_requests.items())),
        without_limits=tuple(sorted(aggregate.without_limits.items())),
    )
