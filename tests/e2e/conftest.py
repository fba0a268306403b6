"""End-to-end fixtures: the simulated cluster and the real daemon on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import EXAMPLE_PRICING, Daemon, build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import Settings, load_settings
from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario
from quotasim.server import SimServer


@dataclass
class RunningDaemon:
    """A daemon serving on `url`, watching the simulated cluster."""

    daemon: Daemon
    url: str
    session: aiohttp.ClientSession

    async def scrape(self) -> str:
        """The /metrics text."""
        async with self.session.get(f"{self.url}/metrics") as r:
            assert r.status == 200
            return await r.text()

    async def samples(self) -> dict[tuple[str, frozenset], float]:
        """Every sample of a scrape keyed by (name, labels)."""
        text = await self.scrape()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    async def wait_ready(self, within: float = 10) -> None:
        """Until /readyz says every informer has synced."""
        async with asyncio.timeout(within):
            while True:
                async with self.session.get(f"{self.url}/readyz") as r:
                    if r.status == 200:
                        return
                await asyncio.sleep(0.02)


@pytest.fixture
async def daemon(sim: SimServer, tmp_path: Path) -> AsyncIterator[RunningDaemon]:
    """The daemon (port 0) watching the `sim` fixture's cluster, ready."""
    async with _serving(build_daemon(_settings(tmp_path)), sim) as running:
        yield running


def _settings(tmp_path: Path, **flags: object) -> Settings:
    """A test daemon's settings: loopback, a free port, a ledger in ``tmp_path``."""
    return load_settings(
        flags={
            "host": "127.0.0.1",
            "port": 0,
            "log_level": "warning",
            "log_format": "json",
            "ledger_path": str(tmp_path / "ledger.sqlite"),
            **flags,
        }
    )


@asynccontextmanager
async def _serving(built: Daemon, sim: SimServer) -> AsyncIterator[RunningDaemon]:
    """Serve `built` on a free port against `sim` until the block ends, then stop it."""
    stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(built, static_config(sim.url), stop=stop, on_started=port.set_result)
    )
    async with aiohttp.ClientSession() as session:
        running = RunningDaemon(built, f"http://127.0.0.1:{await port}", session)
        await running.wait_ready()
        yield running
    stop.set()
    await task


@pytest.fixture
async def demo_daemon(tmp_path: Path) -> AsyncIterator[RunningDaemon]:
    """The daemon on the demo scenario with the example prices (GPU and spot nodes, a
    shared namespace, a vcluster, budgets, a Deployment the quota refuses), ready."""
    cluster = Cluster(seed=7)
    load_scenario(cluster, "demo")
    sim = SimServer(cluster, bookmark_seconds=0.2)
    await sim.start()
    settings = _settings(tmp_path, cluster_name="demo", pricing_file=str(EXAMPLE_PRICING))
    async with _serving(build_daemon(settings), sim) as running:
        yield running
    await sim.stop()
