"""The ledger across crashes of the real daemon process.

The reference scenario without churn allocates at a constant rate R (usage stays
below requests), so the truth for every stretch the daemon was up and synced is
R x seconds. After SIGKILLs at random moments the ledger must never exceed the
truth and may lose at most one flush interval per crash; a SIGTERM loses nothing.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from exporter.cost.records import CAPACITY_NAMESPACE
from exporter.ledger.store import Ledger
from quotasim.server import SimServer
from tests.e2e.runprocess import FLUSH_SECONDS, Daemon

KILLS = 10


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
