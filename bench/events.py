"""Watch events applied end to end: the simulated API server (its own process)
emits pod MODIFIED events; quotameter's informers receive and apply them.

    python -m bench.events --size 5000x20 --events 200000

Reports the rate the daemon applied them (events / seconds from the request to
the last one applied) beside the rate the simulator wrote them, and beside the
ceiling of the same run: a bare reader (aiohttp + orjson, one WATCH per kind the
daemon watches, nothing applied) timed the same way. The simulator writes every
event before it streams the first, so the time after the write is shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from pathlib import Path

import aiohttp
import orjson

from bench.simproc import simulated_cluster
from exporter.kube.client import KubeClient
from exporter.kube.config import static_config
from exporter.kube.informer import InformerOptions, run_informers
from exporter.kube.resources import RESOURCES
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState


async def touch(url: str, events: int) -> float:
    """Have the simulator MODIFY `events` pods; the seconds it took to write them."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/sim/touch", params={"count": str(events)}) as r,
    ):
        return (await r.json())["seconds"]


async def measure(url: str, events: int) -> tuple[float, float]:
    """(seconds the simulator took to write, seconds until the daemon applied all)."""
    health = InformerHealth()
    health.register(RESOURCES)
    state = ClusterState(health=health)
    async with KubeClient(static_config(url), health=health) as kube:
        task = asyncio.create_task(
            run_informers(kube, sink=state, health=health, options=InformerOptions())
        )
        while health.unsynced_kinds():
            await asyncio.sleep(0.05)
        before = health.kind("pods").events_total["MODIFIED"]
        started = time.perf_counter()
        written = await touch(url, events)
        while health.kind("pods").events_total["MODIFIED"] - before < events:
            await asyncio.sleep(0.01)
        applied = time.perf_counter() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return written, applied


async def bare_reader(url: str, events: int) -> tuple[float, float]:
    """(seconds the simulator took to write, seconds until a reader that only splits and
    decodes lines had read them all), a WATCH open on each kind the daemon watches."""
    timeout = aiohttp.ClientTimeout(total=None)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        contextlib.AsyncExitStack() as streams,
    ):
        async with http.get(f"{url}/api/v1/namespaces", params={"limit": "1"}) as r:
            rv = (await r.json())["metadata"]["resourceVersion"]
        for res in RESOURCES.values():
            query = {**res.params, "watch": "true", "resourceVersion": rv}
            stream = await streams.enter_async_context(http.get(url + res.path, params=query))
            if res.kind == "pods":
                pods = stream
        started = time.perf_counter()
        writing = asyncio.create_task(touch(url, events))
        seen, tail = 0, b""
        while seen < events:
            *lines, tail = (tail + await pods.content.readany()).split(b"\n")
            seen += sum(orjson.loads(line)["type"] == "MODIFIED" for line in lines if line)
        read = time.perf_counter() - started
        return await writing, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="5000x20")
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    with simulated_cluster(args.size, workdir=Path("bench/out")) as url:
        written, applied = asyncio.run(measure(url, args.events))
        bare_written, bare_read = asyncio.run(bare_reader(url, args.events))
    n = args.events
    print(f"simulator wrote {n} pod MODIFIED events in {written:.2f}s ({n / written:,.0f}/s)")
    print(f"daemon applied them end to end in {applied:.2f}s ({n / applied:,.0f}/s)")
    print(
        f"bare reader (aiohttp + orjson, same watches): simulator wrote them in "
        f"{bare_written:.2f}s, read end to end in {bare_read:.2f}s ({n / bare_read:,.0f}/s)"
    )
    print(
        f"after the write: daemon {applied - written:.2f}s ({n / (applied - written):,.0f}/s), "
        f"bare reader {bare_read - bare_written:.2f}s ({n / (bare_read - bare_written):,.0f}/s)"
    )


if __name__ == "__main__":
    main()
