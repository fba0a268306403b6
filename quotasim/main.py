"""`quotameter sim`: serve a simulated cluster until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import time

from quotasim.churn import Churn
from quotasim.cluster import Cluster
from quotasim.scenario import ScenarioError, load_scenario, load_synthetic
from quotasim.server import SimServer


def build_cluster(args: argparse.Namespace) -> Cluster:
    """A cluster loaded with the scenario or synthetic size the arguments ask for."""
    cluster = Cluster(seed=args.seed, history_size=200_000 if args.synthetic else 10_000)
    if args.synthetic:
        m = re.fullmatch(r"(\d+)x(\d+)", args.synthetic)
        if not m:
            raise ScenarioError(f"--synthetic must look like 5000x20, not {args.synthetic!r}")
        started = time.perf_counter()
        n = load_synthetic(cluster, namespaces=int(m[1]), pods_per_namespace=int(m[2]))
        print(f"loaded {n} objects in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    else:
        load_scenario(cluster, args.scenario)
    return cluster


async def serve_sim(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; returns the exit code."""
    try:
        cluster = build_cluster(args)
    except ScenarioError as e:
        print(f"quotameter sim: {e}", file=sys.stderr)
        return 2
    server = SimServer(cluster)
    url = await server.start(port=args.port)
    args.kubeconfig_out.parent.mkdir(parents=True, exist_ok=True)
    server.write_kubeconfig(args.kubeconfig_out)
    print(
        f"simulated API server: {url}\n  kubectl --kubeconfig {args.kubeconfig_out} get pods -A",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    churn = None
    if args.churn_seconds > 0:
        churn = asyncio.create_task(Churn(cluster, seed=args.seed).run(interval=args.churn_seconds))
    await stop.wait()
    if churn:
        churn.cancel()
    await server.stop()
    return 0
