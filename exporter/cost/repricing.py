"""Turning record changes into charge changes: who to re-price when something moves.

The Repricer reads records from the state (it keeps no copies of them), remembers what
each charged pod was priced at, and keeps two indexes, so that each kind of change
re-prices exactly what it affects:

- a pod or claim changed: that object (O(1));
- a node's labels changed (its price): the pods bound to it;
- a namespace changed (its team): the pods and claims in it;
- a usage sample arrived: the pods whose usage differs from the one they were priced at.

It knows nothing of informers; ``exporter.cost.feed`` calls it with the state's changes.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from exporter.cost.allocation import (
    NO_CHARGE,
    Charge,
    compute_amounts,
    node_charge,
    pod_charge,
    pod_owner,
    pvc_charge,
)
from exporter.cost.integrator import Integrator
from exporter.cost.pricing import Pricing
from exporter.cost.records import Owner
from exporter.model.records import NodeRecord, PodRecord, PvcRecord
from exporter.model.usage import Usage, UsageTable

Key = tuple[str, str]  # (namespace, name)
M = TypeVar("M")  # a member of an index bucket


class _Priced:
    """What a charged pod was priced at: its node, usage, and cpu/memory amounts."""

    __slots__ = ("amounts", "node", "usage")

    def __init__(self, node: str, usage: Usage | None, amounts: tuple[int, int]):
        self.node, self.usage, self.amounts = node, usage, amounts


class Records(Protocol):
    """What the Repricer reads from ClusterState: records by key, and teams."""

    def pod(self, namespace: str, name: str) -> PodRecord | None:
        """One pod's record, or None."""

    def pvc(self, namespace: str, name: str) -> PvcRecord | None:
        """One claim's record, or None."""

    def node(self, name: str) -> NodeRecord | None:
        """One node's record, or None."""

    def team_of(self, namespace: str) -> str:
        """The team owning a namespace."""

    def team_of_pod(self, pod: PodRecord) -> str:
        """The team a pod is charged to."""


class Repricer:
    """Keeps the integrator's charges equal to what the records and prices say now."""

    def __init__(
        self, *, integrator: Integrator, pricing: Pricing, usage: UsageTable, records: Records
    ) -> None:
        self.integrator, self.pricing, self.usage, self.records = (
            integrator, pricing, usage, records
        )  # fmt: skip
        self._pods: dict[Key, _Priced] = {}  # charged pods
        self._by_namespace: dict[str, set[tuple[str, str, str]]] = {}  # (kind, ns, name)
        self._by_node: dict[str, set[Key]] = {}
        self._owners: dict[tuple[str, str, str, str], Owner] = {}

    # -- one object --------------------------------------------------------------------

    def pod(self, key: Key, record: PodRecord | None, now: float) -> None:
        """The pod under ``key`` is now ``record`` (None: gone)."""
        usage = None if record is None else self.usage.pod_usage(*key)
        self._price_pod(key, record, usage, now)

    def _price_pod(
        self, key: Key, record: PodRecord | None, usage: Usage | None, now: float
    ) -> None:
        old = self._pods.get(key)
        charge = NO_CHARGE if record is None else self._pod_charge(record, usage)
        self.integrator.set(("pod", *key), charge, now)
        if charge and record is not None:
            self._pods[key] = _Priced(record.node, usage, compute_amounts(record, usage))
            if old is None or old.node != record.node:
                if old is not None:
                    self._unindex("pod", key, node=old.node)
                self._index("pod", key, node=record.node)
        elif old is not None:
            del self._pods[key]
            self._unindex("pod", key, node=old.node)

    def _pod_charge(self, record: PodRecord, usage: Usage | None) -> Charge:
        node = self.records.node(record.node) if record.node else None
        return pod_charge(
            record,
            owner=self._owner(record, self.records.team_of_pod(record)),
            prices=self.pricing.node_prices(node.labels if node else None),
            usage=usage,
        )

    def _owner(self, record: PodRecord, team: str) -> Owner:
        # One Owner per owner, shared: equal charges then compare by identity, cheaply.
        fields = (record.namespace, team, record.vcluster or "", record.virtual_namespace or "")
        owner = self._owners.get(fields)
        if owner is None:
            if len(self._owners) > 100_000:  # owners churn with namespaces; stay bounded
                self._owners.clear()
            owner = self._owners[fields] = pod_owner(record, team)
        return owner

    def pvc(self, key: Key, record: PvcRecord | None, now: float) -> None:
        """The claim under ``key`` is now ``record`` (None: gone)."""
        charge: Charge = ()
        if record is not None:
            owner = Owner(record.namespace, self.records.team_of(record.namespace))
            price = self.pricing.storage_price(record.storage_class)
            charge = pvc_charge(record, owner=owner, price=price)
        self.integrator.set(("pvc", *key), charge, now)
        if charge:
            self._index("pvc", key)
        else:
            self._unindex("pvc", key)

    def node(self, name: str, old: NodeRecord | None, new: NodeRecord | None, now: float) -> None:
        """The node ``name`` changed from ``old`` to ``new`` (None: absent); its pods
        follow its price."""
        if new is None:
            self.integrator.remove(("node", name), now)
        else:
            prices = self.pricing.node_prices(new.labels)
            self.integrator.set(("node", name), node_charge(new, prices=prices), now)
        if self._prices_of(old) != self._prices_of(new):
            for key in list(self._by_node.get(name, ())):
                self.pod(key, self.records.pod(*key), now)

    def namespace(self, namespace: str, now: float) -> None:
        """The namespace's team may have changed: re-own its pods and claims."""
        for kind, ns, name in list(self._by_namespace.get(namespace, ())):
            if kind == "pod":
                self.pod((ns, name), self.records.pod(ns, name), now)
            else:
                self.pvc((ns, name), self.records.pvc(ns, name), now)

    def usage_changed(self, now: float) -> int:
        """A new usage sample (or none): re-price the pods whose charged amounts moved
        (usage above the request changed); how many."""
        pod_usage, record_of = self.usage.pod_usage, self.records.pod
        moved = []
        for key, priced in self._pods.items():
            usage = pod_usage(*key)
            if usage == priced.usage:
                continue
            record = record_of(*key)
            if record is not None and compute_amounts(record, usage) == priced.amounts:
                priced.usage = usage  # moved below the request: the charge is the same
            else:
                moved.append((key, record, usage))
        for key, record, usage in moved:
            self._price_pod(key, record, usage, now)
        return len(moved)

    # -- indexes -----------------------------------------------------------------------

    def _prices_of(self, node: NodeRecord | None) -> object:
        return None if node is None else self.pricing.node_prices(node.labels)

    def _index(self, kind: str, key: Key, *, node: str = "") -> None:
        self._by_namespace.setdefault(key[0], set()).add((kind, *key))
        if node:
            self._by_node.setdefault(node, set()).add(key)

    def _unindex(self, kind: str, key: Key, *, node: str = "") -> None:
        _discard(self._by_namespace, key[0], (kind, *key))
        if node:
            _discard(self._by_node, node, key)


def _discard(index: dict[str, set[M]], bucket: str, member: M) -> None:
    members = index.get(bucket)
    if members is not None:
        members.discard(member)
        if not members:
            del index[bucket]
