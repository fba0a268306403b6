"""Health that tells the truth: a supervised task that keeps failing shows as failing
(in /readyz and quotameter_task_failures_total) until it runs healthily again."""

from __future__ import annotations

import asyncio
import json
import random
import sys

from exporter.errors import ConfigError
from exporter.kube.backoff import Backoff
from exporter.kube.config import load_kubeconfig
from exporter.kube.informer import Timing, supervise
from exporter.model.health import InformerHealth

from .helpers import FakeSleep, RecordingLog, wait_until


async def test_a_crash_looping_task_is_failing_until_it_lasts() -> None:
    health, log, sleep = InformerHealth(), RecordingLog(), FakeSleep()
    runs: list[int] = []
    hold = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) <= 2:
            raise OverflowError("integer division result too large for a float")
        await hold.wait()

    timing = Timing(sleep=sleep, rng=random.Random(4))
    backoff = Backoff(reset_after=0.3)
    assert health.snapshot().restarts_total == {}
    task = asyncio.create_task(
        supervise("ledger", flaky, health=health, log=log, backoff=backoff, timing=timing)
    )
    await wait_until(lambda: len(runs) == 3)
    assert health.failing_tasks() == ["ledger"]
    assert health.snapshot().restarts_total == {"ledger": 2}
    assert health.snapshot().failing_tasks == ("ledger",)
    await wait_until(lambda: not health.failing_tasks(), within=2)
    assert health.snapshot().restarts_total == {"ledger": 2}
    hold.set()
    await task
    assert [e["task"] for e in log.events("task.restarted")] == ["ledger", "ledger"]


async def test_a_registered_task_shows_zero_failures() -> None:
    health = InformerHealth()

    async def fine() -> None:
        return None

    await supervise("usage", fine, health=health, timing=Timing(sleep=FakeSleep()))
    assert health.snapshot().restarts_total == {"usage": 0}
    assert health.failing_tasks() == []


def test_a_failing_exec_credential_plugin_refuses_to_start(tmp_path) -> None:
    """Case 12: a failing exec plugin logged a non-JSON line and the daemon went on
    without credentials."""
    kubeconfig = tmp_path / "kubeconfig"
    exec_user = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": sys.executable,
        "args": ["-c", "import sys; sys.exit(3)"],
    }
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "http://127.0.0.1:1"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "users": [{"name": "u", "user": {"exec": exec_user}}],
    }  # fmt: skip
    kubeconfig.write_text(json.dumps(config))
    try:
        load_kubeconfig(kubeconfig)
    except ConfigError as e:
        message, field = str(e), e.field
    else:
        raise AssertionError("an exec plugin that fails must refuse the kubeconfig")
    assert message.startswith("cannot get credentials from kubeconfig: exec: process returned 3")
    assert "\n" not in message
    assert field == "kubeconfig"
