"""UsagePoller against the simulated metrics.k8s.io: the sim's truth, outages, backoff."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from exporter.kube.backoff import Backoff
from exporter.kube.client import KubeClient
from exporter.kube.config import static_config
from exporter.kube.informer import Informer, Timing
from exporter.kube.metricspoll import UsagePoller
from exporter.model.health import InformerHealth
from exporter.model.quantities import parse_quantity
from exporter.model.usage import KIND, UsageTable
from quotasim.cluster import POD
from quotasim.faults import Fault
from quotasim.server import SimServer
from quotasim.usage import pod_metrics

from .helpers import FakeSleep, RecordingLog, running, wait_until

INTERVAL = 30.0
# The sim answers 404 for a version of metrics.k8s.io it does not serve, as an API
# server does for every metrics.k8s.io path when no APIService is registered for it.
UNREGISTERED_PATH = "/apis/metrics.k8s.io/v1beta2/pods"
# dev: 2 agent-api pods using 0.6 of 100m / 128Mi; metrics-server reports memory in Ki.
DEV_USAGE = {"cpu": 2 * 60_000_000, "memory": 2 * (int(0.6 * 128 * 2**20) // 1024) * 1024}


class MaxRandom(random.Random):
    """Full jitter at its ceiling, so backoff delays are exact: 1, 2, 4, 8, 8..."""

    def uniform(self, a: float, b: float) -> float:
        return b


class SteppedSleep:
    """Records each wait with the table as it stands then; after `steps` waits it
    blocks until cancelled, so a run() loop stops where the test wants it to."""

    def __init__(
        self, table: UsageTable, *, steps: int, then: Callable[[int], None] | None = None
    ) -> None:
        self.table, self.steps, self.then = table, steps, then
        self.delays: list[float] = []
        self.seen: list[tuple[bool, dict]] = []  # (up, namespace usage) at each wait

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.seen.append((self.table.up, self.table.namespace_usage()))
        if self.then is not None:
            self.then(len(self.delays))
        if len(self.delays) >= self.steps:
            await asyncio.Event().wait()  # park until the test cancels run()
        await asyncio.sleep(0)


def sim_truth(sim: SimServer) -> dict[str, dict[str, int]]:
    """Namespace usage as the sim's metrics-server computes it right now."""
    totals: dict[str, dict[str, int]] = {}
    for pod in sim.cluster.store.iter(POD):
        metrics = pod_metrics(sim.cluster, pod)
        if metrics is None:
            continue
        ns = totals.setdefault(pod["metadata"]["namespace"], {"cpu": 0, "memory": 0})
        for container in metrics["containers"]:
            ns["cpu"] += parse_quantity(container["usage"]["cpu"]).nanos
            ns["memory"] += parse_quantity(container["usage"]["memory"]).nanos // 10**9
    return totals


@pytest.fixture
async def metrics_client(sim: SimServer, health: InformerHealth) -> AsyncIterator[KubeClient]:
    async with KubeClient(static_config(sim.url), health=health) as kube:
        yield kube


@pytest.fixture
def table(health: InformerHealth) -> UsageTable:
    return UsageTable(health=health)


@pytest.fixture
def make_poller(
    metrics_client: KubeClient, table: UsageTable, health: InformerHealth, log: RecordingLog
) -> Callable[..., UsagePoller]:
    """A poller with exact backoff (1, 2, 4, 8 s), a still clock and the given sleep."""

    def make(sleep: Callable | None = None, **options: Any) -> UsagePoller:
        timing = Timing(
            sleep=sleep or asyncio.sleep, clock=lambda: 0.0,
            wall_clock=lambda: 1_700_000_000.0, rng=MaxRandom(),
        )  # fmt: skip
        return UsagePoller(
            metrics_client, table=table, health=health, interval=INTERVAL,
            backoff=Backoff(base=1.0, cap=8.0), timing=timing, log=log, **options,
        )  # fmt: skip

    return make


async def test_poll_matches_the_sims_usage(
    sim: SimServer, make_poller: Callable[..., UsagePoller], table: UsageTable,
    log: RecordingLog,
) -> None:  # fmt: skip
    poller = make_poller()
    assert await poller.poll() == INTERVAL
    assert poller.up
    assert table.namespace_usage() == sim_truth(sim)
    assert table.namespace_usage()["dev"] == DEV_USAGE
    assert set(table.namespace_usage()) == {"dev", "staging", "prod"}
    assert table.age(1_700_000_012.0) == 12.0
    for pod in sim.cluster.store.iter(POD):
        meta = pod["metadata"]
        assert table.pod_usage(meta["namespace"], meta["name"]) is not None
    assert log.events("usage.available") == [{"path": poller.path, "pods": 6, "skipped": 0}]


async def test_metrics_api_down_then_back(
    sim: SimServer, make_poller: Callable[..., UsagePoller], table: UsageTable,
    health: InformerHealth, log: RecordingLog,
) -> None:  # fmt: skip
    before = sim_truth(sim)
    dev_pod = next(p["metadata"]["name"] for p in sim.cluster.store.iter(POD, "dev"))

    def during(step: int) -> None:
        if step == 1:  # metrics-server goes away for three requests
            sim.inject(Fault(kind="http", resource="pods", status=503, count=3))
        if step == 2:  # and usage moves meanwhile
            sim.cluster.usage["dev", dev_pod] = 0.9

    sleep = SteppedSleep(table, steps=5, then=during)
    poller = make_poller(sleep)
    async with running(poller.run):
        await wait_until(lambda: len(sleep.delays) == 5)
    after = sim_truth(sim)
    assert after != before
    assert sleep.delays == [INTERVAL, 1.0, 2.0, 4.0, INTERVAL]
    assert sleep.seen == [(True, before), (False, {}), (False, {}), (False, {}), (True, after)]
    assert health.api_errors_total[KIND, "503"] == 3
    assert [e["reason"] for e in log.events("usage.unavailable")] == ["server_error"]
    assert len(log.events("usage.available")) == 2  # first sample, and the recovery


async def test_not_registered_keeps_retrying_with_backoff(
    make_poller: Callable[..., UsagePoller], table: UsageTable, health: InformerHealth,
    log: RecordingLog,
) -> None:  # fmt: skip
    sleep = SteppedSleep(table, steps=6)
    poller = make_poller(sleep, path=UNREGISTERED_PATH)
    async with running(poller.run):
        await wait_until(lambda: len(sleep.delays) == 6)
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert sleep.seen == [(False, {})] * 6
    assert health.api_errors_total[KIND, "404"] == 6
    (warning,) = log.events("usage.unavailable")
    assert (warning["reason"], warning["code"], warning["retry_in"]) == ("not_registered", 404, 1.0)
    assert health.unsynced_kinds() == []  # an absent metrics API never holds /readyz


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "not_registered"), (403, "unauthorized"), (500, "server_error"),
     (503, "server_error")],
)  # fmt: skip
async def test_each_failure_clears_and_recovers(
    sim: SimServer, make_poller: Callable[..., UsagePoller], table: UsageTable,
    log: RecordingLog, status: int, reason: str,
) -> None:  # fmt: skip
    poller = make_poller()
    await poller.poll()
    sim.inject(Fault(kind="http", resource="pods", status=status))
    assert await poller.poll() == 1.0
    assert (poller.up, table.namespace_usage(), table.age(0.0)) == (False, {}, None)
    assert [e["reason"] for e in log.events("usage.unavailable")] == [reason]
    assert await poller.poll() == INTERVAL
    assert table.namespace_usage() == sim_truth(sim)


async def test_retry_after_is_honoured(
    sim: SimServer, make_poller: Callable[..., UsagePoller], log: RecordingLog
) -> None:
    poller = make_poller()
    sim.inject(Fault(kind="http", resource="pods", status=429, retry_after=7))
    assert await poller.poll() == 7.0  # the server's 7 s, not the backoff's 1 s
    assert not poller.up
    assert log.events("usage.unavailable")[0]["reason"] == "throttled"
    assert await poller.poll() == INTERVAL
    assert poller.up


async def test_unauthorized_then_granted(
    sim: SimServer, make_poller: Callable[..., UsagePoller], health: InformerHealth
) -> None:
    poller = make_poller()
    sim.token = "only-for-others"  # our client sends no token: 401, even after a reload
    await poller.poll()
    assert not poller.up
    assert health.api_errors_total[KIND, "401"] == 1
    sim.token = ""
    await poller.poll()
    assert poller.up


async def test_logs_once_per_state_change(
    sim: SimServer, make_poller: Callable[..., UsagePoller], log: RecordingLog
) -> None:
    poller = make_poller()
    sim.inject(Fault(kind="http", resource="pods", status=404, count=2))
    sim.inject(Fault(kind="http", resource="pods", status=503, count=2))
    for _ in range(5):
        await poller.poll()
    # Down (404), still down, down for another reason (503), still down, back up.
    assert [e["reason"] for e in log.events("usage.unavailable")] == [
        "not_registered", "server_error",
    ]  # fmt: skip
    assert len(log.events("usage.available")) == 1
    assert poller.up


async def test_informers_sync_while_metrics_api_is_missing(
    make_poller: Callable[..., UsagePoller], make_informer: Callable[..., Informer],
    health: InformerHealth,
) -> None:  # fmt: skip
    poller = make_poller(FakeSleep(), path=UNREGISTERED_PATH)
    informer = make_informer("pods")
    async with running(poller.run), running(informer.run):
        await wait_until(lambda: health.kind("pods").synced)
        await wait_until(lambda: health.api_errors_total[KIND, "404"] >= 2)
    assert health.unsynced_kinds() == []
    assert not poller.up


async def test_interval_must_be_positive(metrics_client: KubeClient, table: UsageTable) -> None:
    with pytest.raises(ValueError, match="interval"):
        UsagePoller(metrics_client, table=table, health=InformerHealth(), interval=0)
