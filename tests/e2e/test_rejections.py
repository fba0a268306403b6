"""Quota refusals through the whole daemon: the counter rises by exactly the number
of pod creations the simulated quota refused, per limited resource."""

from __future__ import annotations

import asyncio

from quotasim.cluster import DEPLOYMENT, EVENT
from quotasim.server import SimServer
from tests.e2e.conftest import RunningDaemon


def refusals(sim: SimServer) -> int:
    """The truth: every FailedCreate occurrence the simulated controller recorded."""
    return sum(
        e["count"] for e in sim.cluster.store.iter(EVENT, "dev") if e["reason"] == "FailedCreate"
    )


async def test_scaling_past_the_quota_counts_each_refusal(
    daemon: RunningDaemon, sim: SimServer
) -> None:
    deployment = sim.cluster.get(DEPLOYMENT, "dev", "agent-api")
    sim.cluster.update(
        DEPLOYMENT, {**deployment, "spec": {**deployment["spec"], "replicas": 30}}, namespace="dev"
    )
    for _ in range(12):  # each resync retries and is refused again: past 10, events combine
        sim.cluster.resync()
    truth = refusals(sim)
    assert truth > 10

    def key(resource: str) -> tuple[str, frozenset]:
        labels = {"namespace": "dev", "team": "agents", "quota": "dev-quota", "resource": resource}
        return ("quotameter_quota_rejections_total", frozenset(labels.items()))

    async with asyncio.timeout(5):
        while (await daemon.samples()).get(key("limits.cpu")) != truth:
            await asyncio.sleep(0.05)
    samples = await daemon.samples()
    assert samples[key("limits.cpu")] == samples[key("limits.memory")] == truth
    assert key("requests.cpu") not in samples or samples[key("requests.cpu")] == 0
