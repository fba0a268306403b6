"""What each object costs per hour: pure functions from records and prices to charges.

A *charge* is what one object (a pod, a claim, a node) adds to the cost accounts: a
tuple of entries, each naming an account (owner, resource), a price per unit-hour and
an integer amount in the resource's base unit (records.UNIT_SCALE). Equal charges
compare equal, so an event that changes nothing priced costs nothing to apply.

Decisions the SPEC leaves open:

- A pod is charged from the moment it is bound to a node (``spec.nodeName``) until it
  terminates or is deleted. An unscheduled pod holds nothing on any node: no
  allocation and no cost (its requests still show in quotameter_namespace_requests).
- A pod on a node not (yet) known is priced at the base prices, not at 0: informers
  of different kinds arrive in any order, and the node usually follows in seconds.
- Storage is charged for claims in phase Bound or Pending (the phases quota counts,
  as quotameter_namespace_requests does), at the larger of request and allocation.
"""

from __future__ import annotations

from typing import NamedTuple

from exporter.cost.pricing import NodePrices
from exporter.cost.records import CAPACITY_OWNER, Owner
from exporter.model.compact import Resources
from exporter.model.records import NodeRecord, PodRecord, PvcRecord
from exporter.model.usage import Usage

_NANO = 10**9
# The phases in which a claim holds (or is about to hold) a volume; same as quota's.
STORAGE_PHASES = frozenset({"Bound", "Pending"})


class Entry(NamedTuple):
    """One account's share of a charge: ``amount`` base units at ``price`` per unit-hour."""

    owner: Owner
    resource: str
    price: float
    amount: int


Charge = tuple[Entry, ...]
NO_CHARGE: Charge = ()


def pod_owner(pod: PodRecord, team: str) -> Owner:
    """Who pays for a pod: its namespace and team, refined by vcluster when it has one.

    ``team`` is the already resolved team (ClusterState.team_of_pod: a vcluster pod's
    own team label wins over its host namespace's team).
    """
    if pod.vcluster is None:
        return Owner(pod.namespace, team)
    return Owner(pod.namespace, team, pod.vcluster, pod.virtual_namespace or "")


def pod_charge(pod: PodRecord, *, owner: Owner, prices: NodePrices, usage: Usage | None) -> Charge:
    """max(request, usage) of cpu and memory, and the request of each priced GPU
    resource, at the prices of the pod's node; nothing for unbound or ended pods."""
    if not pod.node or pod.terminal:
        return NO_CHARGE
    cpu, memory = compute_amounts(pod, usage)
    entries = []
    if cpu > 0:
        entries.append(Entry(owner, "cpu", prices.cpu_core_hour, cpu))
    if memory > 0:
        entries.append(Entry(owner, "memory", prices.memory_gib_hour, memory))
    entries.extend(_gpus(owner, pod.requests, prices))
    return tuple(entries)


def compute_amounts(pod: PodRecord, usage: Usage | None) -> tuple[int, int]:
    """(cpu nanocores, memory bytes) charged for a pod: max(request, usage) of each,
    the request alone when usage is unknown (None), as the SPEC says."""
    cpu, memory = _nanos(pod.requests, "cpu"), -(-_nanos(pod.requests, "memory") // _NANO)
    if usage is None:
        return cpu, memory
    return max(cpu, usage[0]), max(memory, usage[1])


def pvc_charge(pvc: PvcRecord, *, owner: Owner, price: float) -> Charge:
    """The claim's requested bytes at its class's price, to its owner and, as
    provisioned storage, to the cluster capacity account."""
    if not pvc.requested_bytes or pvc.phase not in STORAGE_PHASES:
        return NO_CHARGE
    return (
        Entry(owner, "storage", price, pvc.requested_bytes),
        Entry(CAPACITY_OWNER, "storage", price, pvc.requested_bytes),
    )


def node_charge(node: NodeRecord, *, prices: NodePrices) -> Charge:
    """What the node's capacity costs per resource (allocatable when capacity is absent)."""
    resources = node.capacity or node.allocatable
    entries = []
    cpu, memory = _nanos(resources, "cpu"), _nanos(resources, "memory") // _NANO
    if cpu > 0:
        entries.append(Entry(CAPACITY_OWNER, "cpu", prices.cpu_core_hour, cpu))
    if memory > 0:
        entries.append(Entry(CAPACITY_OWNER, "memory", prices.memory_gib_hour, memory))
    entries.extend(_gpus(CAPACITY_OWNER, resources, prices))
    return tuple(entries)


def _gpus(owner: Owner, resources: Resources, prices: NodePrices) -> list[Entry]:
    # Every extended resource with a GPU price is a GPU; amounts stay in nanos
    # (10**9 per device), the unit the records already hold.
    found = []
    for name, nanos in resources:
        price = prices.gpu_hour.get(name)
        if price is not None and nanos > 0:
            found.append(Entry(owner, "gpu", price, nanos))
    return found


def _nanos(resources: Resources, name: str) -> int:
    for key, nanos in resources:
        if key == name:
            return nanos
    return 0
