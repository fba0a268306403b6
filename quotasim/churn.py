"""Churn: a seeded random walk of the simulated cluster for demos and benchmarks.

Each step moves pod usage, sometimes deletes a Deployment's pod (its controller
replaces it) or scales a Deployment by one, and lets the controllers retry.
"""

from __future__ import annotations

import asyncio
import random

from quotasim import usage
from quotasim.cluster import DEPLOYMENT, POD, Cluster

SCALE_RANGE = 1  # a Deployment moves at most this far from its scenario's replicas


class Churn:
    """Seeded changes to a cluster; `step()` makes one round of them."""

    def __init__(self, cluster: Cluster, *, seed: int = 7) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        self.base_replicas = {
            (d["metadata"]["namespace"], d["metadata"]["name"]): int(d["spec"]["replicas"])
            for d in cluster.store.iter(DEPLOYMENT)
        }

    def step(self) -> None:
        """One round: usage drift for every pod, then at most one delete and one scale."""
        for pod in list(self.cluster.store.iter(POD)):
            key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
            ratio = usage.pod_ratio(self.cluster, pod) * self.rng.uniform(0.85, 1.15)
            self.cluster.usage[key] = min(2.0, max(0.05, ratio))
        if self.rng.random() < 0.3:
            self._delete_one_pod()
        if self.rng.random() < 0.3:
            self._scale_one_deployment()
        self.cluster.resync()

    def _delete_one_pod(self) -> None:
        owned = [p for p in self.cluster.store.iter(POD) if p["metadata"].get("ownerReferences")]
        if owned:
            pod = self.rng.choice(owned)
            self.cluster.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"])
            self.cluster.usage.pop((pod["metadata"]["namespace"], pod["metadata"]["name"]), None)

    def _scale_one_deployment(self) -> None:
        if not self.base_replicas:
            return
        key = self.rng.choice(sorted(self.base_replicas))
        dep = self.cluster.store.get(DEPLOYMENT, *key)
        if dep is None:
            return
        base, now = self.base_replicas[key], int(dep["spec"]["replicas"])
        target = min(
            base + SCALE_RANGE, max(max(0, base - SCALE_RANGE), now + self.rng.choice((-1, 1)))
        )
        if target != now:
            body = {**dep, "spec": {**dep["spec"], "replicas": target}}
            self.cluster.update(DEPLOYMENT, body, namespace=key[0])

    async def run(self, *, interval: float) -> None:
        """Step forever, every `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            self.step()
