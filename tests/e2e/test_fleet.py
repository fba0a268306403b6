"""Fleet mode against a real Prometheus: two daemons (clusters a and b, each on its
own simulated cluster) are scraped; `chargeback --prometheus` must give each
cluster's rows within 1% of that daemon's own ledger CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time
from pathlib import Path

import aiohttp

from exporter.app import build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import load_settings
from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario
from quotasim.server import SimServer
from tests.e2e.promserver import PromServer, ScrapeTarget, free_port

# Prices high enough that a minute and a half of a small cluster costs whole currency
# units: the CSV's two decimals must carry the comparison.
PRICING = """
cpu_core_hour: 3600
memory_gib_hour: 360
storage_gib_hour: {"*": 3.6}
gpu_hour: {nvidia.com/gpu: 3600}
idle: separate
"""
RUN_SECONDS = 90  # a last scrape up to 0.5 s old is then at most ~0.6% of the total


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
    stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(daemon, static_config(sim.url), stop=stop, on_started=port.set_result)
    )
    return sim, stop, task, await port


def by_row(text: str) -> dict[tuple[str, str, str], float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return {(r["cluster"], r["team"], r["namespace"]): float(r["total_cost"]) for r in rows}


async def test_fleet_rows_match_each_ledger(tmp_path: Path) -> None:
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text(PRICING)
    ports = {"a": free_port(), "b": free_port()}
    targets = [ScrapeTarget(f"127.0.0.1:{port}", {"cluster": name}) for name, port in ports.items()]
    month = time.strftime("%Y-%m", time.gmtime())
    # Prometheus first, so it sees each counter from the daemon's first seconds, as the
    # daemon's own ledger does.
    async with (
        PromServer(tmp_path / "prom", targets, scrape_interval="500ms") as prom,
        aiohttp.ClientSession() as http,
    ):
        # Prometheus applies new targets up to 5 s after its start: once both are being
        # scraped (and found down), a daemon is seen within one interval of starting.
        async with asyncio.timeout(30):
            while len(await prom.query('up{job="quotameter"}')) < 2:
                await asyncio.sleep(0.1)
        a = await start_cluster(tmp_path, "a", "reference", pricing, ports["a"])
        b = await start_cluster(tmp_path, "b", "demo", pricing, ports["b"])
        await prom.wait_scrapes(3)
        await asyncio.sleep(RUN_SECONDS)
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
    assert {k for k in fleet if k[1] != "__idle__"} == set(allocated)
    assert sum(allocated.values()) > 100  # the comparison is not between zeros
    for key, cost in allocated.items():
        assert abs(fleet[key] - cost) <= 0.01 * cost + 0.01, (key, fleet[key], cost)
