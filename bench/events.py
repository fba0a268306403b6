"""Watch events applied end to end: the simulated API server (its own process)
emits pod MODIFIED events; quotameter's informers receive and apply them.

    python -m bench.events --size 5000x20 --events 200000

Reports the rate the daemon applied them (events / seconds from the request to
the last one applied) beside the rate the simulator wrote them, measured in the
same run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import aiohttp

from bench.simproc import simulated_cluster
from exporter.kube.client import KubeClient
from exporter.kube.config import static_config
from exporter.kube.informer import InformerOptions, run_informers
from exporter.kube.resources import RESOURCES
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState


async def measure(url: str, events: int) -> tuple[float, float]:
    """(seconds the simulator took to write, seconds until the daemon applied all)."""
    health = InformerHealth()
    health.register(RESOURCES)
    state = ClusterState(health=health)
    async with (
        KubeClient(static_config(url), health=health) as kube,
        aiohttp.ClientSession() as http,
    ):
        task = asyncio.create_task(
            run_informers(kube, sink=state, health=health, options=InformerOptions())
        )
        while health.unsynced_kinds():
            await asyncio.sleep(0.05)
        before = health.kind("pods").events_total["MODIFIED"]
        started = time.perf_counter()
        async with http.post(f"{url}/sim/touch", params={"count": str(events)}) as r:
            written = (await r.json())["seconds"]
        while health.kind("pods").events_total["MODIFIED"] - before < events:
            await asyncio.sleep(0.01)
        applied = time.perf_counter() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return written, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="5000x20")
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    with simulated_cluster(args.size, workdir=Path("bench/out")) as url:
        written, applied = asyncio.run(measure(url, args.events))
    print(
        f"simulator wrote {args.events} pod MODIFIED events in {written:.2f}s "
        f"({args.events / written:,.0f}/s)"
    )
    print(f"daemon applied them end to end in {applied:.2f}s ({args.events / applied:,.0f}/s)")


if __name__ == "__main__":
    main()
