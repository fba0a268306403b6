"""Backoff with full jitter, its reset, and the supervisor that restarts crashed loops."""

from __future__ import annotations

import asyncio
import random

import pytest

from exporter.errors import Gone, ServerError, TooManyRequests
from exporter.kube.backoff import Backoff, Retry
from exporter.kube.informer import Timing, supervise
from exporter.model.health import InformerHealth

from .helpers import FakeSleep, RecordingLog


def test_full_jitter_doubles_up_to_the_cap() -> None:
    backoff, rng = Backoff(), random.Random(1)
    for attempt, cap in enumerate([0.5, 1, 2, 4, 8, 16, 30, 30, 30]):
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.9  # spread over the whole range, not clustered
    assert backoff.delay(10_000, rng) <= 30


def test_retry_resets_after_a_healthy_period() -> None:
    now = [0.0]
    retry = Retry(Backoff(), clock=lambda: now[0], rng=random.Random(2))
    for _ in range(4):
        waited = retry.delay(ServerError("x"))
    assert retry.attempt == 4
    now[0] += waited + 59  # back at work for 59 s only: still the same streak
    waited = retry.delay(ServerError("x"))
    assert retry.attempt == 5
    now[0] += waited + 61  # over a healthy minute: start over
    assert retry.delay(ServerError("x")) <= 0.5
    assert retry.attempt == 1


def test_retry_after_wins_when_larger_and_first_gone_is_free() -> None:
    retry = Retry(Backoff(), clock=lambda: 0.0, rng=random.Random(3))
    assert retry.delay(Gone("old", code=410)) == 0.0
    assert 0 <= retry.delay(Gone("old again", code=410)) <= 1.0
    assert retry.delay(TooManyRequests("slow", retry_after=12)) == 12.0
    assert retry.delay(TooManyRequests("slow", retry_after=0.001)) > 0.001


async def test_supervisor_restarts_a_crashed_loop_and_counts() -> None:
    health, log, sleep = InformerHealth(), RecordingLog(), FakeSleep()
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError(f"bug {len(runs)}")

    timing = Timing(sleep=sleep, rng=random.Random(4))
    await supervise("informer.pods", flaky, health=health, log=log, timing=timing)
    assert len(runs) == 3
    assert health.restarts_total == {"informer.pods": 2}
    assert [e["error"] for e in log.events("task.restarted")] == [
        "RuntimeError('bug 1')", "RuntimeError('bug 2')",
    ]  # fmt: skip
    assert len(sleep.delays) == 2


async def test_supervisor_lets_cancellation_through() -> None:
    health = InformerHealth()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(supervise("x", forever, health=health, log=RecordingLog()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert health.restarts_total == {}
