"""Fixtures of the kube tests: a client on the simulated API, a recording sink, fake
time, and a factory of pods informers with small pages and short timeouts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from exporter.kube.client import KubeClient
from exporter.kube.config import load_kubeconfig
from exporter.kube.informer import Informer, InformerOptions, Timing
from exporter.kube.resources import RESOURCES
from exporter.model.health import InformerHealth

from .helpers import FakeSleep, RecordingLog, RecordingSink


@pytest.fixture(autouse=True)
async def no_leftover_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves tasks behind (checked after every other fixture is gone)."""
    yield
    await asyncio.sleep(0)  # let cancelled tasks finish unwinding
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not left, f"tasks left running: {left}"


@pytest.fixture
def health() -> InformerHealth:
    return InformerHealth()


@pytest.fixture
async def client(kubeconfig: Path, health: InformerHealth) -> AsyncIterator[KubeClient]:
    async with KubeClient(load_kubeconfig(kubeconfig), health=health) as kube:
        yield kube


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def log() -> RecordingLog:
    return RecordingLog()


@pytest.fixture
def make_informer(
    client: KubeClient, sink: RecordingSink, health: InformerHealth, sleep: FakeSleep,
    log: RecordingLog,
) -> Callable[..., Informer]:  # fmt: skip
    """Build a pods informer (or another kind) with fast options and fake time."""

    def make(kind: str = "pods", **options: Any) -> Informer:
        opts = {"page_size": 2, "watch_timeout": 30, "inactivity_timeout": 2.0} | options
        timing = Timing(sleep=sleep, wall_clock=lambda: 1_700_000_000.0, rng=random.Random(7))
        return Informer(
            client, RESOURCES[kind], sink=sink, health=health,
            options=InformerOptions(**opts), timing=timing, log=log,
        )  # fmt: skip

    return make
