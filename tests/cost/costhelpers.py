"""Builders for the cost tests: literal API bodies, a settable clock, a wired meter."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from pathlib import Path

from exporter.cost.feed import NotifyingUsageTable
from exporter.cost.pricing import Pricing, parse_pricing
from exporter.ledger.meter import CostMeter
from exporter.model.bodies import (
    Namespace,
    Node,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    Pod,
    PodMetrics,
    PodSpec,
    WatchedObject,
)
from exporter.model.costview import CostLine
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState

HOUR = 3600.0
# 2026-03-31 20:00:00 UTC: four hours before a month (and day) boundary.
T0 = float(calendar.timegm((2026, 3, 31, 20, 0, 0)))

SIMPLE = """
cpu_core_hour: 0.03
memory_gib_hour: 0.004
gpu_hour: {nvidia.com/gpu: 2.0}
storage_gib_hour: {"*": 0.0001, fast: 0.0003}
node_overrides:
  - match: {karpenter.sh/capacity-type: spot}
    cpu_core_hour: 0.01
    memory_gib_hour: 0.001
"""


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def pod(
    ns: str,
    name: str,
    *,
    node: str = "node-a",
    cpu: str | None = None,
    memory: str | None = None,
    phase: str = "Running",
    labels: dict[str, str] | None = None,
    extended: dict[str, str] | None = None,
) -> Pod:
    """A one-container pod requesting what is given."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    requests |= extended or {}
    spec: PodSpec = {"containers": [{"name": "c", "resources": {"requests": requests}}]}
    if node:
        spec["nodeName"] = node
    return {
        "metadata": {"name": name, "namespace": ns, "uid": f"{ns}/{name}", "labels": labels or {}},
        "spec": spec,
        "status": {"phase": phase},
    }


def node(
    name: str, *, cpu: str = "4", memory: str = "16Gi", labels: dict[str, str] | None = None
) -> Node:
    """A node with this capacity and labels."""
    capacity = {"cpu": cpu, "memory": memory, "pods": "110"}
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def gpu_node(name: str, *, gpus: str, cpu: str = "8", memory: str = "32Gi") -> Node:
    body = node(name, cpu=cpu, memory=memory)
    body["status"]["capacity"]["nvidia.com/gpu"] = gpus
    return body


def pvc(
    ns: str, name: str, *, size: str, storage_class: str = "", phase: str = "Bound"
) -> PersistentVolumeClaim:
    spec: PersistentVolumeClaimSpec = {"resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec, "status": {"phase": phase}}


def namespace(name: str, *, annotations: dict[str, str] | None = None, **labels: str) -> Namespace:
    return {"metadata": {"name": name, "labels": labels, "annotations": annotations or {}}}


def pod_metrics(ns: str, name: str, *, cpu: str, memory: str) -> PodMetrics:
    return {
        "metadata": {"name": name, "namespace": ns},
        "containers": [{"name": "c", "usage": {"cpu": cpu, "memory": memory}}],
    }


class Rig:
    """A ClusterState behind a CostMeter on a temporary ledger, driven by a Clock."""

    def __init__(
        self, tmp_path: Path, *, pricing: Pricing | None = None, clock: Clock | None = None
    ):
        self.clock = clock or Clock()
        self.health = InformerHealth()
        self.pricing = pricing or parse_pricing(SIMPLE)
        self.state = ClusterState(health=self.health, rules=self.pricing.team_rules())
        self.usage = NotifyingUsageTable(health=self.health)
        self.path = tmp_path / "ledger.sqlite"
        self.meter = CostMeter(
            state=self.state, usage=self.usage, pricing=self.pricing,
            ledger_path=self.path, clock=self.clock,
        )  # fmt: skip
        self.sink = self.state  # what the informers feed; the meter listens to it

    def sync(self, **kinds: Sequence[WatchedObject]) -> None:
        """List every cost kind (those not given as empty), which starts accrual."""
        for kind in ("namespaces", "nodes", "persistentvolumeclaims", "pods"):
            self.sink.begin_relist(kind)
            self.sink.add_listed(kind, kinds.get(kind, []))
            self.sink.end_relist(kind)

    def add(self, kind: str, body: WatchedObject) -> None:
        self.sink.apply(kind, "ADDED", body)

    def modify(self, kind: str, body: WatchedObject) -> None:
        self.sink.apply(kind, "MODIFIED", body)

    def delete(self, kind: str, body: WatchedObject) -> None:
        self.sink.apply(kind, "DELETED", body)

    def sample(self, *items: PodMetrics) -> None:
        self.usage.replace(items, timestamp=self.clock())

    def lines(self) -> dict[tuple[str, str, str], CostLine]:
        view = self.meter.view()
        return {(line.namespace, line.team, line.resource): line for line in view.lines}

    def cost(self, ns: str, team: str, resource: str) -> float:
        """Cost accrued since start for one line (cost_total)."""
        line = self.lines().get((ns, team, resource))
        return 0.0 if line is None else line.cost_total
