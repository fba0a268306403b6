"""The cost feed: listens to ClusterState's changes and keeps cost current.

The state decodes each object once and hands its listeners what changed (kind, key,
old record, new record); the feed passes each change to the Repricer, which re-prices
exactly what it affects. Cost starts accruing once every kind cost depends on has been
listed once (``COST_KINDS``, the same moment /readyz turns ready): before that the
charges are incomplete, and the time counts as not observed.

Usage has no watch: after each poll, call ``on_usage_sample(now)``, or give the poller
a ``NotifyingUsageTable`` and subscribe to it (CostMeter does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from exporter.cost.integrator import Integrator
from exporter.cost.repricing import Repricer
from exporter.model.bodies import PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.records import NodeRecord, PodRecord, PvcRecord
from exporter.model.state import Change, Record
from exporter.model.usage import UsageTable

PODS, NODES, PVCS, NAMESPACES = "pods", "nodes", "persistentvolumeclaims", "namespaces"
COST_KINDS = frozenset({PODS, NODES, PVCS, NAMESPACES})
R = TypeVar("R", bound=Record)


class CostFeed:
    """A ClusterState listener: the cost of what changed."""

    def __init__(
        self,
        *,
        repricer: Repricer,
        integrator: Integrator,
        clock: Callable[[], float],
        on_started: Callable[[], object] = lambda: None,
        on_changed: Callable[[], object] = lambda: None,
    ) -> None:
        self.repricer, self.integrator, self.clock = repricer, integrator, clock
        self.on_started = on_started  # called once, when accrual begins
        self.on_changed = on_changed  # called after anything was re-priced
        self._listed: set[str] = set()  # cost kinds listed at least once

    def changed(self, changes: Sequence[Change]) -> None:
        """Re-price what each change affects."""
        now, repricer = self.clock(), self.repricer
        for kind, key, old, new in changes:
            if kind == PODS:
                repricer.pod(key, _of(PodRecord, new), now)
            elif kind == PVCS:
                repricer.pvc(key, _of(PvcRecord, new), now)
            elif kind == NODES:
                repricer.node(key[1], _of(NodeRecord, old), _of(NodeRecord, new), now)
            elif kind == NAMESPACES:
                repricer.namespace(key[1], now)
        self.on_changed()

    def listed(self, kind: str) -> None:
        """Once every cost kind has been listed, the charges are complete: accrue."""
        if kind not in COST_KINDS:
            return
        self._listed.add(kind)
        if self._listed >= COST_KINDS and not self.integrator.started:
            self.integrator.start(self.clock())
            self.on_started()

    def on_usage_sample(self, now: float | None = None) -> int:
        """The usage table was replaced or cleared: re-price pods whose usage moved."""
        moved = self.repricer.usage_changed(self.clock() if now is None else now)
        self.on_changed()
        return moved


class NotifyingUsageTable(UsageTable):
    """A UsageTable that calls its subscribers after each ``replace`` and ``clear``,
    so cost follows usage without the poller knowing about cost."""

    def __init__(self, *, health: InformerHealth) -> None:
        super().__init__(health=health)
        self._subscribers: list[Callable[[], object]] = []

    def subscribe(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` after every sample (and every clear)."""
        self._subscribers.append(callback)

    def replace(self, items: Sequence[PodMetrics], *, timestamp: float) -> int:
        """UsageTable.replace, then notify."""
        skipped = super().replace(items, timestamp=timestamp)
        self._notify()
        return skipped

    def clear(self) -> None:
        """UsageTable.clear, then notify (usage is unknown: back to requests)."""
        super().clear()
        self._notify()

    def _notify(self) -> None:
        for callback in self._subscribers:
            callback()


def _of(kind: type[R], record: Record | None) -> R | None:
    """A change's record as the record type of its kind (the state stores each kind's own)."""
    if record is None or isinstance(record, kind):
        return record
    raise TypeError(f"a {type(record).__name__} where a {kind.__name__} belongs")
