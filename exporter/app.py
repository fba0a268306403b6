"""Wiring: the one place that puts the simulated cluster, the informers, the
collectors, the ledger and the HTTP server together."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import structlog

from exporter.logconfig import configure_logging
from exporter.settings import Settings


async def run_demo(
    settings: Settings, *, scenario: str, churn_seconds: float, seed: int, kubeconfig_out: Path
) -> int:
    """Start the simulated cluster with a scenario and serve until SIGINT/SIGTERM."""
    from exporter.sim.churn import Churn
    from exporter.sim.cluster import Cluster
    from exporter.sim.scenario import load_scenario
    from exporter.sim.server import SimServer

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    log = structlog.get_logger("quotameter.demo")
    cluster = Cluster(seed=seed)
    load_scenario(cluster, scenario)
    sim = SimServer(cluster)
    url = await sim.start()
    kubeconfig = kubeconfig_out
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    sim.write_kubeconfig(kubeconfig)
    log.info("demo.started", api=url, kubeconfig=str(kubeconfig), scenario=scenario)
    print(
        f"\nquotameter demo: simulated cluster ({scenario} scenario) at {url}\n"
        f"  kubectl --kubeconfig {kubeconfig} get pods -A\n"
        f"  kubectl --kubeconfig {kubeconfig} get resourcequota -A\n",
        flush=True,
    )
    tasks = []
    if churn_seconds > 0:
        tasks.append(asyncio.create_task(Churn(cluster, seed=seed).run(interval=churn_seconds)))
    await _wait_for_signal()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await sim.stop()
    log.info("demo.stopped")
    return 0


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
