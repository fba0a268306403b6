"""CostMeter end to end: the CostView values, budgets from annotations, the flusher
loop with an injected sleep, and a graceful close that loses nothing."""

from __future__ import annotations

import asyncio
import calendar
from pathlib import Path

import pytest

from exporter.cost.integrator import Batch
from exporter.cost.pricing import parse_pricing
from exporter.errors import LedgerError
from exporter.ledger.meter import _MonthToDate
from exporter.ledger.store import Ledger
from exporter.model.costview import ClusterCost, CostLine
from tests.cost.costhelpers import HOUR, SIMPLE, Clock, Rig, gpu_node, namespace, node, pod, pvc

APRIL_30_NOON = float(calendar.timegm((2026, 4, 30, 12, 0, 0)))
GI = 2**30


def demo(tmp_path: Path) -> Rig:
    pricing = parse_pricing(SIMPLE + "currency: EUR\nbudgets: {ml: 1000}\n")
    r = Rig(tmp_path, pricing=pricing, clock=Clock(APRIL_30_NOON - 2 * HOUR))
    budget = {"quotameter.io/monthly-budget": "250"}
    r.sync(
        namespaces=[namespace("dev", team="agents", annotations=budget),
                    namespace("ml-training", team="ml")],
        nodes=[node("node-a", cpu="4", memory="16Gi"), gpu_node("gpu-1", gpus="4")],
        persistentvolumeclaims=[pvc("ml-training", "data", size="100Gi")],
        pods=[pod("dev", "api", cpu="500m", memory="1Gi"),
              pod("ml-training", "trainer", node="gpu-1", cpu="2", memory="8Gi",
                  extended={"nvidia.com/gpu": "2"})],
    )  # fmt: skip
    r.clock.advance(2 * HOUR)
    return r


def test_the_view_holds_allocation_cost_capacity_and_budgets(tmp_path: Path) -> None:
    view = demo(tmp_path).meter.view()
    assert view.currency == "EUR"
    lines = {(x.namespace, x.resource): x for x in view.lines}
    gpu = lines[("ml-training", "gpu")]
    assert isinstance(gpu, CostLine)
    assert (gpu.namespace, gpu.team, gpu.resource, gpu.allocation) == (
        "ml-training",
        "ml",
        "gpu",
        2.0,
    )
    assert (gpu.hourly_cost, gpu.cost_total, gpu.month_to_date) == pytest.approx((4.0, 8.0, 8.0))
    assert lines[("dev", "cpu")].allocation == 0.5
    assert lines[("dev", "memory")].allocation == GI
    assert lines[("ml-training", "storage")].hourly_cost == pytest.approx(100 * 0.0001)
    cluster = {c.resource: c for c in view.cluster}
    gpus = cluster["gpu"]
    assert isinstance(gpus, ClusterCost)
    assert (gpus.resource, gpus.capacity) == ("gpu", 4.0)
    assert (gpus.hourly_cost, gpus.idle_hourly_cost) == pytest.approx((8.0, 4.0))
    assert cluster["cpu"].capacity == 12.0
    teams = {t.team: t for t in view.teams}
    assert (teams["agents"].budget, teams["ml"].budget) == (250.0, 1000.0)
    ml_hourly = 4.0 + 2 * 0.03 + 8 * 0.004 + 100 * 0.0001
    assert teams["ml"].month_to_date == pytest.approx(2 * ml_hourly)
    assert teams["ml"].projected == pytest.approx(2 * ml_hourly + 12 * ml_hourly)
    assert view.ledger_last_flush_timestamp is None


def test_month_to_date_survives_a_restart_and_cost_total_does_not(tmp_path: Path) -> None:
    first = demo(tmp_path)
    first.meter.close()
    second = Rig(tmp_path, pricing=first.pricing, clock=Clock(first.clock()))
    view = second.meter.view()
    line = {(x.namespace, x.resource): x for x in view.lines}[("ml-training", "gpu")]
    assert (line.cost_total, line.hourly_cost) == (0.0, 0.0)
    assert line.month_to_date == pytest.approx(8.0)
    assert view.ledger_last_flush_timestamp == APRIL_30_NOON


async def test_the_flusher_flushes_every_interval(tmp_path: Path) -> None:
    r = demo(tmp_path)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        r.clock.advance(seconds)
        if len(waits) == 3:
            r.meter.ledger.close()  # the next flush fails: the flusher ends with the error

    with pytest.raises(LedgerError):
        await r.meter.run_flusher(30.0, sleep=sleep)
    assert waits == [30.0, 30.0, 30.0]
    assert r.meter.ledger.last_flush_timestamp == APRIL_30_NOON + 60.0


async def test_a_stop_that_arrives_with_a_change_stops_the_wait(tmp_path: Path) -> None:
    # The daemon's stop cancels the accounting task while it waits in until_changed; a
    # re-pricing in the same loop turn must not swallow the cancel (asyncio.wait_for did,
    # on Python 3.11, and the daemon then never stopped).
    r = demo(tmp_path)
    await r.meter.tick()
    waiting = asyncio.create_task(r.meter.until_changed(60.0))
    await asyncio.sleep(0)  # now waiting
    r.modify("pods", pod("dev", "api", cpu="1", memory="1Gi"))  # a change: wakes the wait
    waiting.cancel()  # and the stop, in the same turn
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert waiting.cancelled()


async def test_until_changed_returns_on_a_change_and_after_at_most(tmp_path: Path) -> None:
    r = demo(tmp_path)
    await r.meter.tick()
    began = asyncio.get_running_loop().time()
    await r.meter.until_changed(0.05)  # nothing changes: it returns after at_most
    assert asyncio.get_running_loop().time() - began >= 0.05
    waiting = asyncio.create_task(r.meter.until_changed(60.0))
    await asyncio.sleep(0)
    r.modify("pods", pod("dev", "api", cpu="1", memory="1Gi"))
    await asyncio.wait_for(waiting, 5.0)


async def test_the_flusher_refuses_a_non_positive_interval(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        await demo(tmp_path).meter.run_flusher(0)


def test_close_flushes_everything_up_to_the_stop(tmp_path: Path) -> None:
    r = demo(tmp_path)
    r.meter.close()
    with Ledger.open(r.path, readonly=True) as ledger:
        gpu = sum(x.cost for x in ledger.rows("2026-04") if x.resource == "gpu" and x.owner.team)
        assert gpu == pytest.approx(8.0)
        assert ledger.coverage_days("2026-04")[-1].observed_seconds == 2 * HOUR


def test_a_flush_the_month_already_holds_is_not_added_again() -> None:
    row = (("dev", "agents", "", "", "cpu"), "2026-04-30", 3600.0, 0.03)
    month = _MonthToDate()
    month.load("2026-04", {("dev", "agents", "cpu"): 0.03}, writes=3)  # read after write 3
    month.add(Batch(0.0, (row,), ()), write=3)  # write 3 settling late: already counted
    assert month.stored == {("dev", "agents", "cpu"): 0.03}
    month.add(Batch(0.0, (row,), ()), write=4)
    assert month.stored == {("dev", "agents", "cpu"): pytest.approx(0.06)}
