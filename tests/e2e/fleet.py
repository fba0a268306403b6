"""Fleet mode's end-to-end check, shared by the engines it is proved on: two daemons
(clusters a and b, each on its own simulated cluster) are scraped; `chargeback
--prometheus` against the engine must give each cluster's rows within 1% of that
daemon's own ledger CSV.

The clusters run until they have cost enough for the comparison to mean something,
then their workloads are deleted: once the engine holds scrapes of both with nothing
allocated, its counters and the ledgers hold the same finished totals, whatever the
scrape timing."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

import aiohttp

from exporter.app import build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import load_settings
from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario
from quotasim.server import SimServer
from tests.e2e.promserver import QueryAPI, ScrapeTarget, free_port
from tests.kubectlrun import kubectl


class Engine(Protocol):
    """Starts an engine scraping `targets`: PromServer, VictoriaMetricsFleet, ThanosFleet."""

    def __call__(
        self, workdir: Path, targets: Sequence[ScrapeTarget], *, scrape_interval: str
    ) -> AbstractAsyncContextManager[QueryAPI]: ...


# Prices high enough that a minute and a half of a small cluster costs whole currency
# units: the CSV's two decimals must carry the comparison.
PRICING = """
cpu_core_hour: 3600
memory_gib_hour: 360
storage_gib_hour: {"*": 3.6}
gpu_hour: {nvidia.com/gpu: 3600}
idle: separate
"""
ENOUGH = 150.0  # allocated cost (currency units) both clusters run up before the stop
# increase() extrapolates the last scrape to the query's end at the average rate: at most
# one interval's worth. Run for INTERVALS of them, and that error stays under 0.5%.
SCRAPE_INTERVAL, INTERVALS = "100ms", 200
ALLOCATED = 'sum(quotameter_cost_total{job="quotameter"})'
RUNNING = 'count(quotameter_hourly_cost{job="quotameter"} > 0) or vector(0)'
LAST_SCRAPE = 'min(timestamp(up{job="quotameter"}))'


async def start_cluster(tmp: Path, name: str, scenario: str, pricing: Path, port: int):
    cluster = Cluster(seed=len(name))
    load_scenario(cluster, scenario)
    sim = SimServer(cluster)
    await sim.start()
    settings = load_settings(
        flags={
            "host": "127.0.0.1",
            "port": port,
            "cluster_name": name,
            "pricing_file": str(pricing),
            "ledger_path": str(tmp / f"{name}.sqlite"),
            "ledger_flush_seconds": 1,
            "log_level": "warning",
        }
    )
    daemon = build_daemon(settings)
    stop, bound = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(daemon, static_config(sim.url), stop=stop, on_started=bound.set_result)
    )
    return sim, stop, task, await bound


async def value(prom: QueryAPI, expr: str) -> float:
    """The value of an instant query of one sample (0 when it has none)."""
    found = await prom.query(expr)
    return float(found[0]["value"][1]) if found else 0.0


async def delete_workloads(sim: SimServer, tmp: Path) -> None:
    """Nothing allocated any more: the Deployments, their pods, bare pods and claims."""
    kubeconfig = sim.write_kubeconfig(tmp / f"kubeconfig-{sim.url.rsplit(':', 1)[1]}")
    for kinds in ("deployments", "pods", "persistentvolumeclaims"):
        await kubectl(kubeconfig, "delete", kinds, "--all", "--all-namespaces", "--wait=false")


def by_row(text: str) -> dict[tuple[str, str, str], float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return {(r["cluster"], r["team"], r["namespace"]): float(r["total_cost"]) for r in rows}


async def fleet_rows_match_each_ledger(tmp_path: Path, engine: Engine) -> None:
    """The whole check, on the engine that `engine(workdir, targets, scrape_interval=...)`
    starts over the two daemons' addresses."""
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text(PRICING)
    ports = {"a": free_port(), "b": free_port()}
    targets = [ScrapeTarget(f"127.0.0.1:{port}", {"cluster": name}) for name, port in ports.items()]
    month = time.strftime("%Y-%m", time.gmtime())
    # The engine first, so it sees each counter from the daemon's first seconds, as the
    # daemon's own ledger does.
    async with (
        engine(tmp_path / "engine", targets, scrape_interval=SCRAPE_INTERVAL) as prom,
        aiohttp.ClientSession() as http,
    ):
        # Prometheus applies new targets up to 5 s after its start: once both are being
        # scraped (and found down), a daemon is seen within one interval of starting.
        await prom.wait_targets(within=30)
        a = await start_cluster(tmp_path, "a", "reference", pricing, ports["a"])
        b = await start_cluster(tmp_path, "b", "demo", pricing, ports["b"])
        await prom.wait_scrapes(INTERVALS, within=120)
        async with asyncio.timeout(120):
            while await value(prom, ALLOCATED) < ENOUGH:
                await asyncio.sleep(0.5)
            for sim, *_ in (a, b):
                await delete_workloads(sim, tmp_path)
            while await value(prom, RUNNING) > 0:  # both scraped with nothing allocated
                await asyncio.sleep(0.5)
            stopped = time.time()
            while await value(prom, LAST_SCRAPE) < stopped:  # the flat counters, again
                await asyncio.sleep(0.2)
        ledgers = {}
        for *_, port in (a, b):
            url = f"http://127.0.0.1:{port}/chargeback.csv?month={month}&group_by=namespace"
            async with http.get(url) as r:
                ledgers.update(by_row(await r.text()))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "exporter.cli",
            "chargeback",
            "--month",
            month,
            "--group-by",
            "namespace",
            "--prometheus",
            prom.url,
            "--pricing-file",
            str(pricing),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
    for sim, stop, task, _ in (a, b):
        stop.set()
        await task
        await sim.stop()
    assert proc.returncode == 0, err.decode()
    fleet = by_row(out.decode())
    allocated = {k: v for k, v in ledgers.items() if k[1] != "__idle__"}
    assert {k[0] for k in allocated} == {"a", "b"}
    assert {k for k in fleet if k[1] != "__idle__"} == set(allocated), err.decode()
    assert sum(allocated.values()) > 100  # the comparison is not between zeros
    for key, cost in allocated.items():
        assert abs(fleet[key] - cost) <= 0.01 * cost + 0.01, (key, fleet[key], cost)
