"""`quotameter demo` and `quotameter sim`: the simulated cluster (quotasim), with the
daemon or alone. The only module of exporter that imports quotasim, which the container
image does not ship."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from exporter.app import EXAMPLE_PRICING, build_daemon, serve, stop_on_signals
from exporter.kube.config import static_config
from exporter.logconfig import configure_logging
from exporter.settings import Settings
from quotasim.churn import Churn
from quotasim.cluster import Cluster
from quotasim.main import serve_sim
from quotasim.scenario import load_scenario
from quotasim.server import SimServer


async def run_demo(
    settings: Settings, *, scenario: str, churn_seconds: float, seed: int, kubeconfig_out: Path
) -> int:
    """`quotameter demo`: the simulated cluster and the daemon in one process."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.pricing_file is None:  # the example prices spot and GPU nodes of the demo
        settings = settings.model_copy(update={"pricing_file": EXAMPLE_PRICING})
    cluster = Cluster(seed=seed)
    load_scenario(cluster, scenario)
    sim = SimServer(cluster)
    await sim.start()
    kubeconfig_out.parent.mkdir(parents=True, exist_ok=True)
    sim.write_kubeconfig(kubeconfig_out)
    churn = (
        asyncio.create_task(Churn(cluster, seed=seed).run(interval=churn_seconds))
        if (churn_seconds > 0)
        else None
    )

    def announce(port: int) -> None:  # once listening: the port may have been 0
        base = f"http://{_display_host(settings.host)}:{port}"
        print(
            f"\nquotameter demo: open {base}/ (the overview page)\n"
            f"  simulated cluster ({scenario} scenario) at {sim.url}\n"
            f"  metrics:    {base}/metrics\n"
            f"  summary:    {base}/api/v1/summary\n"
            f"  chargeback: {base}/chargeback.csv?group_by=namespace\n"
            f"  FOCUS:      {base}/chargeback.csv?format=focus\n"
            f"  kubectl --kubeconfig {kubeconfig_out} get resourcequota -A\n",
            flush=True,
        )

    try:
        daemon = build_daemon(settings)
        await serve(daemon, static_config(sim.url), stop=stop_on_signals(), on_started=announce)
    finally:
        if churn:
            churn.cancel()
            await asyncio.gather(churn, return_exceptions=True)
        await sim.stop()
    return 0


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


async def run_sim(args: argparse.Namespace) -> int:
    """`quotameter sim`: only the simulated API server, until SIGINT or SIGTERM."""
    return await serve_sim(args)
