"""The cost feed: an informer sink in front of ClusterState that keeps cost current.

``CostFeed`` has the sink protocol of ClusterState (begin_relist, add_listed,
end_relist, apply). It forwards every call to the state first, so the state decodes
each object once, then reads the decoded record back and tells the Repricer what
changed. A LIST is re-priced as a whole at its end (``end_relist``), when the state
knows which objects are gone. Cost starts accruing once every kind cost depends on has
been listed once (``COST_KINDS``, the same moment /readyz turns ready): before that the
charges are incomplete, and the time counts as not observed.

Usage has no watch: after each poll, call ``on_usage_sample(now)``, or give the poller
a ``NotifyingUsageTable`` and subscribe to it (CostMeter does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from exporter.cost.integrator import Integrator
from exporter.cost.repricing import Key, Repricer
from exporter.model.records import (
    DecodeError,
    NamespaceRecord,
    NodeRecord,
    PodRecord,
    PvcRecord,
    object_key,
)
from exporter.model.usage import UsageTable

PODS, NODES, PVCS, NAMESPACES = "pods", "nodes", "persistentvolumeclaims", "namespaces"
COST_KINDS = frozenset({PODS, NODES, PVCS, NAMESPACES})


class State(Protocol):
    """What the feed needs of ClusterState: the sink protocol, teams and records."""

    def begin_relist(self, kind: str) -> None: ...
    def add_listed(self, kind: str, objects: list[dict]) -> None: ...
    def end_relist(self, kind: str) -> None: ...
    def apply(self, kind: str, event_type: str, obj: dict) -> None: ...
    def team_of(self, namespace: str) -> str: ...
    def team_of_pod(self, pod: PodRecord) -> str: ...
    def pods(self, namespace: str | None = None) -> list[PodRecord]: ...
    def pvcs(self) -> list[PvcRecord]: ...
    def nodes(self) -> list[NodeRecord]: ...
    def namespaces(self) -> list[NamespaceRecord]: ...


class CostFeed:
    """An informer sink: ClusterState first, then the cost of what changed."""

    def __init__(
        self,
        state: State,
        *,
        repricer: Repricer,
        integrator: Integrator,
        clock: Callable[[], float],
    ) -> None:
        self.state, self.repricer, self.integrator, self.clock = state, repricer, integrator, clock
        self._lookup = RecordLookup(state)
        self._listed: set[str] = set()  # cost kinds listed at least once
        self._on_event: dict[str, Callable[[Key, float], None]] = {
            PODS: lambda key, now: repricer.pod(key, self._lookup.pod(*key), now),
            PVCS: lambda key, now: repricer.pvc(key, self._lookup.pvc(*key), now),
            NODES: lambda key, now: repricer.node(key[1], self._lookup.node(key[1]), now),
            NAMESPACES: lambda key, now: repricer.namespace(key[1], now),
        }

    # -- the sink protocol ---------------------------------------------------------

    def begin_relist(self, kind: str) -> None:
        """Forwarded; the LIST is priced when it ends."""
        self.state.begin_relist(kind)

    def add_listed(self, kind: str, objects: list[dict]) -> None:
        """Forwarded; the LIST is priced when it ends."""
        self.state.add_listed(kind, objects)

    def end_relist(self, kind: str) -> None:
        """Forwarded, then the whole kind is re-priced from the state's records."""
        self.state.end_relist(kind)
        if kind not in COST_KINDS:
            return
        now = self.clock()
        self._reprice_kind(kind, now)
        self._listed.add(kind)
        if self._listed >= COST_KINDS:
            self.integrator.start(now)

    def apply(self, kind: str, event_type: str, obj: dict) -> None:
        """Forwarded, then the one object is re-priced (or dropped when gone)."""
        self.state.apply(kind, event_type, obj)
        handler = self._on_event.get(kind)
        if handler is None:
            return
        try:
            key = object_key(obj)
        except DecodeError:
            return  # the state counted it; there is nothing to price
        handler(key, self.clock())

    # -- usage ---------------------------------------------------------------------

    def on_usage_sample(self, now: float | None = None) -> int:
        """The usage table was replaced or cleared: re-price pods whose usage moved."""
        return self.repricer.usage_changed(self.clock() if now is None else now)

    def _reprice_kind(self, kind: str, now: float) -> None:
        if kind == PODS:
            self.repricer.replace_pods(self.state.pods(), now)
        elif kind == PVCS:
            self.repricer.replace_pvcs(self.state.pvcs(), now)
        elif kind == NODES:
            self.repricer.replace_nodes(self.state.nodes(), now)
        else:
            self.repricer.all_namespaces(now)


class RecordLookup:
    """One record by key from the state: ClusterState's O(1) ``pod``, ``pvc`` and
    ``node`` getters, or a scan for a state object without them (test doubles)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def pod(self, namespace: str, name: str) -> PodRecord | None:
        """The pod's record, None when it is gone (or could not be decoded)."""
        getter = getattr(self.state, "pod", None)
        if getter is not None:
            return getter(namespace, name)
        return next((p for p in self.state.pods(namespace) if p.name == name), None)

    def pvc(self, namespace: str, name: str) -> PvcRecord | None:
        """The claim's record, None when it is gone."""
        getter = getattr(self.state, "pvc", None)
        if getter is not None:
            return getter(namespace, name)
        found = (c for c in self.state.pvcs() if c.namespace == namespace and c.name == name)
        return next(found, None)

    def node(self, name: str) -> NodeRecord | None:
        """The node's record, None when it is gone."""
        getter = getattr(self.state, "node", None)
        if getter is not None:
            return getter(name)
        return next((n for n in self.state.nodes() if n.name == name), None)


class NotifyingUsageTable(UsageTable):
    """A UsageTable that calls its subscribers after each ``replace`` and ``clear``,
    so cost follows usage without the poller knowing about cost."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._subscribers: list[Callable[[], object]] = []

    def subscribe(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` after every sample (and every clear)."""
        self._subscribers.append(callback)

    def replace(self, items: list[dict], *, timestamp: float) -> int:
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
