"""Every kind at once: one supervised informer per kind, all in step with the cluster."""

from __future__ import annotations

import random

from exporter.kube.client import KubeClient
from exporter.kube.informer import InformerOptions, Timing, run_informers
from exporter.kube.resources import RESOURCES
from exporter.model.health import InformerHealth
from quotasim.cluster import DEPLOYMENT, EVENT, LIMITRANGE, NAMESPACE, NODE, POD, PVC, QUOTA
from quotasim.server import SimServer

from .helpers import FakeSleep, RecordingLog, RecordingSink, make_pod, running, truth, wait_until

TYPES = {
    "namespaces": NAMESPACE, "pods": POD, "resourcequotas": QUOTA, "limitranges": LIMITRANGE,
    "nodes": NODE, "persistentvolumeclaims": PVC, "events": EVENT,
}  # fmt: skip


def everything(sim: SimServer) -> dict[str, dict[str, str]]:
    state = {kind: truth(sim, rtype) for kind, rtype in TYPES.items()}
    failed = {
        o["metadata"]["uid"]
        for o in sim.cluster.store.iter(EVENT)
        if o.get("reason") == "FailedCreate"
    }
    state["events"] = {uid: rv for uid, rv in state["events"].items() if uid in failed}
    return state


async def test_all_kinds_sync_and_follow(
    client: KubeClient, sim: SimServer, sink: RecordingSink, health: InformerHealth
) -> None:
    timing = Timing(sleep=FakeSleep(), rng=random.Random(5))
    options = InformerOptions(page_size=3, watch_timeout=30, inactivity_timeout=2.0)

    def in_step() -> bool:
        return {k: sink.state[k] for k in TYPES} == everything(sim)

    factory = lambda: run_informers(  # noqa: E731
        client, sink=sink, health=health, options=options, timing=timing, log=RecordingLog()
    )
    async with running(factory):
        await wait_until(lambda: not health.unsynced_kinds() and len(health.kinds) == 7)
        await wait_until(in_step)
        sim.cluster.create(POD, make_pod("extra"), namespace="dev")
        # Past dev-quota's 20 pods: the Deployment controller records FailedCreate events.
        dep = sim.cluster.get(DEPLOYMENT, "dev", "agent-api")
        sim.cluster.update(DEPLOYMENT, {**dep, "spec": {**dep["spec"], "replicas": 25}})
        assert everything(sim)["events"]
        await wait_until(in_step)
    assert sorted(health.kinds) == sorted(RESOURCES)
    assert all(h.relists_total == {"initial": 1} for h in health.kinds.values())
    assert health.restarts_total == {}
