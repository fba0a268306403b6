"""`quotameter demo` as a separate process, exactly as a user runs it, and a real
Prometheus scraping it once a second; both shared by a test module."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from exporter.cost.days import day_index, day_key
from exporter.cost.integrator import Batch
from exporter.ledger.store import Ledger
from exporter.model.peaks import HistoryBatch, QuotaDay
from tests.aioprocess import stop
from tests.e2e.promserver import PromServer, ScrapeTarget, free_port, prometheus_binary


@dataclass
class Demo:
    """A running `quotameter demo`; `url` serves /metrics."""

    url: str
    address: str
    log: Path

    async def scrape(self) -> str:
        """The /metrics text."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/metrics") as r:
            assert r.status == 200
            return await r.text()


async def _ready(url: str, process: asyncio.subprocess.Process, within: float) -> bool:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                async with session.get(f"{url}/readyz") as r:
                    if r.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    return False


# Two weeks of quota history for the right-sizing panel, as a daemon running on those
# days would have stored it: quota keys of the namespaces the live test picks.
EARLIER_DAYS = 13
HISTORY = (  # (namespace, team, quota, key, daily peak of used, hard)
    ("staging", "agents", "staging-quota", "requests.cpu", 1.5, 4.0),
    ("ml-training", "ml", "gpu-quota", "requests.nvidia.com/gpu", 3.0, 4.0),
)


def seed_history(path: Path) -> None:
    """Write EARLIER_DAYS days of HISTORY before today into the ledger at ``path``."""
    today = day_index(time.time())
    rows = tuple(
        QuotaDay(day_key(today - back), ns, team, quota, key, peak, peak, hard, 0)
        for back in range(1, EARLIER_DAYS + 1)
        for ns, team, quota, key, peak, hard in HISTORY
    )
    ledger = Ledger.open(path)
    try:
        ledger.write(Batch(time.time(), (), ()), HistoryBatch(rows, (), (0,) * len(rows)))
    finally:
        ledger.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    """`python -m exporter.cli demo` on a free port, churn and ledger flushes every second,
    ready; its ledger holds two weeks of quota history (seed_history)."""
    workdir = tmp_path_factory.mktemp("demo")  # the demo's files (ledger, kubeconfig) go here
    seed_history(workdir / "data" / "ledger.sqlite")  # where the demo keeps its ledger
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTAMETER_")}
    log = workdir / "demo.log"
    for _attempt in range(3):
        port = free_port()
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "exporter.cli", "demo", "--host", "127.0.0.1"),
                *("--port", str(port), "--churn-seconds", "1", "--log-level", "warning"),
                # The first flush would otherwise come a minute in: the flush-age panel
                # needs one within the few seconds this test scrapes for.
                *("--ledger-flush-seconds", "1"),
                *("--kubeconfig-out", str(workdir / "kubeconfig")),
                cwd=workdir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        url = f"http://127.0.0.1:{port}"
        if await _ready(url, process, within=30):
            break
        await stop(process)
    else:
        pytest.fail(f"quotameter demo did not become ready:\n{log.read_text()[-3000:]}")
    try:
        yield Demo(url=url, address=f"127.0.0.1:{port}", log=log)
    finally:
        await stop(process)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prometheus(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PromServer]:
    """Prometheus scraping the demo every second (no `cluster` label: a single cluster),
    after enough scrapes for rates over 15 s."""
    if prometheus_binary() is None:
        pytest.fail("prometheus is not installed (Debian package `prometheus`)")
    server = PromServer(tmp_path_factory.mktemp("prometheus"), [ScrapeTarget(demo.address)])
    async with server:
        await server.wait_scrapes(6, within=30)
        yield server
