"""Shared fixtures: a simulated cluster and its API server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario
from quotasim.server import SimServer


@pytest.fixture
def reference_cluster() -> Cluster:
    """The reference scenario (dev, staging, prod) loaded into a fresh cluster."""
    cluster = Cluster(seed=1)
    load_scenario(cluster, "reference")
    return cluster


@pytest.fixture
async def sim(reference_cluster: Cluster) -> AsyncIterator[SimServer]:
    """The reference cluster served on a free loopback port, bookmarks every 0.2 s."""
    server = SimServer(reference_cluster, bookmark_seconds=0.2)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def kubeconfig(sim: SimServer, tmp_path: Path) -> Path:
    """A kubeconfig file pointing at the simulated API server."""
    return sim.write_kubeconfig(tmp_path / "kubeconfig")
