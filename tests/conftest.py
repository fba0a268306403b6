"""Shared fixtures: a simulated cluster and its API server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario
from quotasim.server import SimServer


@pytest.fixture(autouse=True)
async def no_leftover_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running once its fixtures are torn down:
    a task nobody awaits hides its errors and outlives what it was for."""
    yield
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if left:  # tasks cancelled during teardown end on their next turn of the loop
        _, pending = await asyncio.wait(left, timeout=1.0)
        left = list(pending)
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
    if left:
        # typeshed lets a task have no coroutine; an asyncio.Task made from one always has it
        names = sorted(t.get_coro().__qualname__ for t in left)  # type: ignore[union-attr]
        pytest.fail(f"the test left tasks running: {names}")


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
