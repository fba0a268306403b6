"""The ledger across crashes of the real daemon process.

The reference scenario without churn allocates at a constant rate R (usage stays
below requests), so the truth for every stretch the daemon was up and synced is
R x seconds. After SIGKILLs at random moments the ledger must never exceed the
truth and may lose at most one flush interval per crash; a SIGTERM loses nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.cost.records import CAPACITY_NAMESPACE
from exporter.ledger.store import Ledger
from quotasim.server import SimServer

FLUSH_SECONDS = 1.0
KILLS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def allocated_cost(path: Path) -> float:
    """Every allocated cost in the ledger (capacity rows are not allocations)."""
    if not path.exists():
        return 0.0
    ledger = Ledger.open(path, readonly=True)
    try:
        month = time.strftime("%Y-%m", time.gmtime())
        return sum(r.cost for r in ledger.rows(month) if r.owner.namespace != CAPACITY_NAMESPACE)
    finally:
        ledger.close()


class Daemon:
    """One `quotameter run` process."""

    def __init__(self, kubeconfig: Path, ledger: Path) -> None:
        self.kubeconfig, self.ledger, self.port = kubeconfig, ledger, free_port()
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, http: aiohttp.ClientSession) -> float:
        """Start and wait until ready; returns the moment it became ready."""
        env = {
            **os.environ,
            "QUOTAMETER_LEDGER_FLUSH_SECONDS": str(FLUSH_SECONDS),
            "QUOTAMETER_LOG_LEVEL": "warning",
        }
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "exporter.cli",
            "run",
            "--kubeconfig",
            str(self.kubeconfig),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ledger-path",
            str(self.ledger),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(30):
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as r:
                        if r.status == 200:
                            return time.monotonic()
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)

    async def hourly_cost(self, http: aiohttp.ClientSession) -> float:
        """Sum of quotameter_hourly_cost: the allocation's rate."""
        async with http.get(f"http://127.0.0.1:{self.port}/metrics") as r:
            text = await r.text()
        return sum(
            s.value
            for f in text_string_to_metric_families(text)
            if f.name == "quotameter_hourly_cost"
            for s in f.samples
        )

    async def stop(self, sig: int) -> float:
        """Send a signal, wait for the end; returns the moment the signal was sent."""
        assert self.proc is not None
        sent = time.monotonic()
        self.proc.send_signal(sig)
        await asyncio.wait_for(self.proc.wait(), 30)
        return sent


async def test_sigkill_never_overcounts_and_sigterm_loses_nothing(
    sim: SimServer, kubeconfig: Path, tmp_path: Path
) -> None:
    rng = random.Random(11)
    ledger = tmp_path / "ledger.sqlite"
    alive = 0.0
    async with aiohttp.ClientSession() as http:
        rate = 0.0
        for crash in range(KILLS + 1):
            daemon = Daemon(kubeconfig, ledger)
            ready = await daemon.start(http)
            rate = rate or await daemon.hourly_cost(http) / 3600
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            last = crash == KILLS
            stopped = await daemon.stop(signal.SIGTERM if last else signal.SIGKILL)
            alive += stopped - ready
            recorded = allocated_cost(ledger)
            # Accrual starts at the sync, a little before /readyz answers: allow 0.5 s a run.
            assert recorded <= rate * (alive + 0.5 * (crash + 1)), crash
            losses = crash if last else crash + 1  # SIGTERM flushes: its run loses nothing
            assert recorded >= rate * (alive - losses * FLUSH_SECONDS - 0.2 * (crash + 1)), crash
    assert rate > 0
    assert recorded == pytest.approx(allocated_cost(ledger))
