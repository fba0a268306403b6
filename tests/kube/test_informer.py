"""The informer loop against the simulated API: after every fault the sink equals the
cluster, relists happen only when they must, and health says what happened."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

import pytest

from exporter.kube.informer import Informer
from exporter.model.health import InformerHealth
from quotasim.cluster import POD, Cluster
from quotasim.faults import Fault
from quotasim.scenario import load_scenario
from quotasim.server import SimServer

from .helpers import FakeSleep, RecordingLog, RecordingSink, make_pod, running, truth, wait_until

MakeInformer = Callable[..., Informer]


def churn(sim: SimServer, tag: str) -> None:
    """Two bare pods added, one of them modified, the other deleted."""
    kept = sim.cluster.create(POD, make_pod(f"kept-{tag}"), namespace="staging")
    sim.cluster.create(POD, make_pod(f"gone-{tag}"), namespace="dev")
    meta = {**kept["metadata"], "labels": {"touched": tag}}
    sim.cluster.update(POD, {**kept, "metadata": meta}, namespace="staging")
    sim.cluster.delete(POD, "dev", f"gone-{tag}")


async def synced(sink: RecordingSink, sim: SimServer, health: InformerHealth) -> None:
    await wait_until(lambda: health.kind("pods").synced and sink.state["pods"] == truth(sim))


async def in_step(sink: RecordingSink, sim: SimServer) -> None:
    await wait_until(lambda: sink.state["pods"] == truth(sim))


async def test_initial_sync_and_watch(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth
) -> None:
    assert health.unsynced_kinds() == []
    informer = make_informer()
    assert health.unsynced_kinds() == ["pods"]
    async with running(informer.run):
        await synced(sink, sim, health)
        churn(sim, "a")
        await in_step(sink, sim)
    pods = health.kind("pods")
    assert health.unsynced_kinds() == []
    assert pods.relists_total == {"initial": 1}
    assert {t: pods.events_total[t] for t in ("ADDED", "MODIFIED", "DELETED")} == {
        "ADDED": 2, "MODIFIED": 1, "DELETED": 1,
    }  # fmt: skip
    assert pods.last_event_timestamp == 1_700_000_000.0
    assert health.api_errors_total == {}
    assert sink.calls["end_relist", "pods"] == 1


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault(kind="drop", resource="pods"), "stream"),
        (Fault(kind="garbage", resource="pods"), "stream"),
        (Fault(kind="stall", resource="pods", seconds=1.5), "stream"),
    ],
    ids=["drop", "garbage", "stall"],
)
async def test_broken_stream_resumes_without_relist(
    make_informer: MakeInformer,
    sink: RecordingSink,
    sim: SimServer,
    health: InformerHealth,
    sleep: FakeSleep,
    fault: Fault,
    code: str,
) -> None:
    async with running(make_informer(inactivity_timeout=0.6).run):
        await synced(sink, sim, health)
        sim.inject(fault)
        churn(sim, "b")
        await wait_until(lambda: health.api_errors_total[("pods", code)] == 1)
        await in_step(sink, sim)
    assert health.kind("pods").relists_total == {"initial": 1}
    assert dict(health.api_errors_total) == {("pods", code): 1}
    assert len(sleep.delays) == 1
    assert 0 <= sleep.delays[0] <= 0.5  # first backoff step, full jitter


async def test_in_stream_410_relists_and_replaces_state(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth,
    log: RecordingLog,
) -> None:  # fmt: skip
    async with running(make_informer().run):
        await synced(sink, sim, health)
        sink.state["pods"]["phantom-uid"] = "1"  # only a relist's replace can remove it
        sim.inject(Fault(kind="gone", resource="pods"))
        churn(sim, "c")
        await wait_until(lambda: health.kind("pods").relists_total["gone"] == 1)
        await in_step(sink, sim)
    assert "phantom-uid" not in sink.state["pods"]
    assert health.kind("pods").relists_total == {"initial": 1, "gone": 1}
    assert dict(health.api_errors_total) == {("pods", "410"): 1}
    assert [e["reason"] for e in log.events("watch.restarted")] == ["gone"]


async def test_http_410_on_watch_relists(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth
) -> None:
    async with running(make_informer().run):
        await synced(sink, sim, health)
        # The drop ends the stream; the reconnecting WATCH request then meets the 410.
        sim.inject(Fault(kind="http", resource="pods", status=410))
        sim.inject(Fault(kind="drop", resource="pods"))
        churn(sim, "d")
        await wait_until(lambda: health.kind("pods").relists_total["gone"] == 1)
        await in_step(sink, sim)
    assert dict(health.api_errors_total) == {("pods", "stream"): 1, ("pods", "410"): 1}


async def test_watch_from_expired_resource_version_relists(
    sink: RecordingSink, health: InformerHealth, make_informer_for: Callable[..., Informer]
) -> None:
    cluster = Cluster(seed=1, history_size=5)
    load_scenario(cluster, "reference")
    server = SimServer(cluster, bookmark_seconds=0.2)
    await server.start()

    def meanwhile(_: float) -> None:  # more writes than the history keeps, while away
        if cluster.store.get(POD, "prod", "burst-0") is None:
            for i in range(8):
                cluster.create(POD, make_pod(f"burst-{i}"), namespace="prod")

    informer = make_informer_for(server, FakeSleep(then=meanwhile))
    try:
        async with running(informer.run):
            await synced(sink, server, health)
            server.inject(Fault(kind="drop", resource="pods"))
            await wait_until(lambda: health.kind("pods").relists_total["gone"] == 1)
            await in_step(sink, server)
    finally:
        await informer.client.close()
        await server.stop()
    assert len(sink.state["pods"]) == cluster.store.count(POD)
    assert dict(health.api_errors_total) == {("pods", "stream"): 1, ("pods", "410"): 1}


async def test_expired_continue_relists(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth
) -> None:
    for i in range(4):
        sim.cluster.create(POD, make_pod(f"more-{i}"), namespace="staging")

    def expire_once(kind: str, page: int) -> None:
        if page == 1:
            sim.inject(Fault(kind="expire-continue"))

    sink.on_page = expire_once
    async with running(make_informer().run):
        await synced(sink, sim, health)
    assert health.kind("pods").relists_total == {"initial": 1, "gone": 1}
    assert sink.calls["begin_relist", "pods"] == 2
    assert sink.calls["end_relist", "pods"] == 1
    assert sorted(sink.listed["pods"]) == sorted(truth(sim))  # the relist saw each once


async def test_collections_are_deferred_while_listing_only(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth
) -> None:
    before, during = gc.get_threshold(), []
    sink.on_page = lambda kind, page: during.append(gc.get_threshold())
    async with running(make_informer(list_gc_threshold=50_000).run):
        await synced(sink, sim, health)
        assert gc.get_threshold() == before  # watching: the interpreter's own thresholds
    assert during
    assert all(t == (max(50_000, before[0]), *before[1:]) for t in during)


async def test_429_honours_retry_after(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth,
    sleep: FakeSleep, log: RecordingLog,
) -> None:  # fmt: skip
    sim.inject(Fault(kind="http", resource="pods", status=429, retry_after=7))
    async with running(make_informer().run):
        await synced(sink, sim, health)
    assert sleep.delays == [7.0]
    assert health.kind("pods").relists_total == {"initial": 1}  # a refused LIST is no relist
    assert dict(health.api_errors_total) == {("pods", "429"): 1}
    assert log.events("watch.restarted")[0]["reason"] == "throttled"


async def test_500s_back_off_exponentially_then_recover(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth,
    sleep: FakeSleep,
) -> None:  # fmt: skip
    sim.inject(Fault(kind="http", resource="pods", status=500, count=4))
    async with running(make_informer().run):
        await synced(sink, sim, health)
        sim.inject(Fault(kind="http", resource="pods", status=503))
        sim.inject(Fault(kind="drop", resource="pods"))
        churn(sim, "e")
        await wait_until(lambda: health.api_errors_total[("pods", "503")] == 1)
        await in_step(sink, sim)
    caps = [0.5, 1, 2, 4, 8, 16]
    assert len(sleep.delays) == 6
    assert all(0 <= d <= cap for d, cap in zip(sleep.delays, caps, strict=True))
    assert health.api_errors_total[("pods", "500")] == 4
    assert health.kind("pods").relists_total == {"initial": 1}


async def test_clean_close_resumes_without_relist(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth,
    log: RecordingLog,
) -> None:  # fmt: skip
    async with running(make_informer(watch_timeout=1).run):
        await synced(sink, sim, health)
        await wait_until(lambda: len(log.events("watch.closed")) >= 2)
        churn(sim, "f")
        await in_step(sink, sim)
    assert health.kind("pods").relists_total == {"initial": 1}
    assert health.api_errors_total == {}
    resumed = [e["resource_version"] for e in log.events("watch.closed")]
    assert resumed == sorted(resumed, key=int)
    assert sink.calls["begin_relist", "pods"] == 1


async def test_multi_megabyte_objects(
    make_informer: MakeInformer, sink: RecordingSink, sim: SimServer, health: InformerHealth
) -> None:
    blob = "x" * (3 * 2**20)
    sim.cluster.create(POD, make_pod("big-listed", blob=blob), namespace="dev")
    loop = asyncio.get_running_loop()
    async with running(make_informer().run):
        await synced(sink, sim, health)
        started = loop.time()
        sim.cluster.create(POD, make_pod("big-watched", blob=blob), namespace="dev")
        await in_step(sink, sim)
        elapsed = loop.time() - started
    assert elapsed < 2.0
    assert health.api_errors_total == {}


@pytest.fixture
def make_informer_for(
    sink: RecordingSink, health: InformerHealth, log: RecordingLog
) -> Callable[..., object]:
    """Build a pods informer against another simulated server, with a given sleep."""
    import random

    from exporter.kube.client import KubeClient
    from exporter.kube.config import static_config
    from exporter.kube.informer import InformerOptions, Timing
    from exporter.kube.resources import RESOURCES

    def make(server: SimServer, sleep: FakeSleep) -> Informer:
        client = KubeClient(static_config(server.url, token=server.token), health=health)
        return Informer(
            client, RESOURCES["pods"], sink=sink, health=health,
            options=InformerOptions(page_size=2, watch_timeout=30, inactivity_timeout=2.0),
            timing=Timing(sleep=sleep, rng=random.Random(3)), log=log,
        )  # fmt: skip

    return make
