"""/metrics latency of the `quotameter run` process while it builds chargeback CSVs and
flushes its ledger: a simulated cluster of NAMESPACES x 2 pods, a ledger holding DAYS
days of those namespaces, flushes every second, and scrapes back to back, first alone
(flushes only) and then while CSVs of the month are requested one after the other.

    python -m bench.scrape_during_io [--namespaces 5000] [--days 10] [--seconds 10]
    python -m bench.scrape_during_io --tree /path/to/another/checkout   # the same, for it

`--tree` runs the daemon from another checkout (an older commit, say) with this
interpreter, so that before and after are measured by the same script on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.bench_ledger import prefill
from bench.processes import wait_ready
from bench.simproc import simulated_cluster
from cluster.launcher import free_port

MONTH = "2026-03"  # prefill writes the days before 1 April 2026


async def scrape_for(url: str, seconds: float, busy: asyncio.Future | None = None) -> list:
    """Scrape back to back for ``seconds`` (or until ``busy`` is done); each latency."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline and not (busy is not None and busy.done()):
            began = time.perf_counter()
            async with session.get(f"{url}/metrics") as r:
                await r.read()
            latencies.append(time.perf_counter() - began)
    return latencies


async def csvs_for(url: str, seconds: float) -> list[float]:
    """Request the month's CSV back to back for ``seconds``; each one's duration."""
    durations: list[float] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            query = f"month={MONTH}&group_by=namespace"
            async with session.get(f"{url}/chargeback.csv?{query}") as r:
                assert r.status == 200, await r.text()
                await r.read()
            durations.append(time.perf_counter() - began)
    return durations


async def measure(url: str, seconds: float) -> dict[str, list[float]]:
    """Scrapes alone, then scrapes during CSV builds."""
    quiet = await scrape_for(url, seconds)
    building = asyncio.ensure_future(csvs_for(url, seconds))
    during = await scrape_for(url, seconds + 120, busy=building)
    return {"scrapes, flushes only": quiet, "scrapes during CSV builds": during,
            "CSV builds": await building}  # fmt: skip


def report(results: dict[str, list[float]]) -> None:
    """Median, p99 and max of each series, in milliseconds."""
    print("| series | count | median ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- |")
    for name, values in results.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(f"| {name} | {len(values)} | {statistics.median(values) * 1000:.1f} | "
              f"{p99 * 1000:.1f} | {ordered[-1] * 1000:.1f} |")  # fmt: skip


def main() -> int:
    """Prepare the ledger and the cluster, run the daemon, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tree", type=Path, help="run the daemon from this checkout")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="quotameter-scrape-"))
    ledger = workdir / "ledger.sqlite"
    prefill(ledger, namespaces=args.namespaces, days=args.days)
    print(f"ledger: {args.namespaces:,} namespaces x {args.days} days of {MONTH}")
    with simulated_cluster(f"{args.namespaces}x2", workdir=workdir / "sim"):
        port = free_port()
        env = {
            **os.environ,
            "KUBECONFIG": str(workdir / "sim" / "kubeconfig"),
            "QUOTAMETER_PORT": str(port),
            "QUOTAMETER_LEDGER_PATH": str(ledger),
            "QUOTAMETER_LEDGER_FLUSH_SECONDS": "1",
            "QUOTAMETER_LOG_LEVEL": "warning",
        }
        tree = (args.tree or Path.cwd()).resolve()  # `python -m` imports from its cwd first
        env["PYTHONPATH"] = str(tree)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "exporter.cli", "run"],
            env=env, cwd=tree, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, daemon)
            time.sleep(3)  # past the first flushes and cost computations
            results = asyncio.run(measure(url, args.seconds))
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
