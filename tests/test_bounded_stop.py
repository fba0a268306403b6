"""A stop is bounded: a task that will not end is named in the log, and the process
exits 1 with every thread's stack on stderr, before Kubernetes' grace period ends.

The daemon's signal handling runs in a child process (signals and os._exit cannot be
tested in pytest's own process), around a task that swallows its cancel."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

STUBBORN = """
import asyncio
from exporter.app import stop_on_signals
from exporter.logconfig import configure_logging

async def stubborn():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # the bug under test: a cancel swallowed

async def main():
    configure_logging(level="info", fmt="json")
    stop = stop_on_signals(report_after=REPORT, deadline=DEADLINE)
    task = asyncio.create_task(stubborn(), name="stubborn")
    print("ready", flush=True)
    await stop.wait()
    task.cancel()
    await task

asyncio.run(main())
"""


def start(*, report_after: float, deadline: float) -> subprocess.Popen[str]:
    code = STUBBORN.replace("REPORT", repr(report_after)).replace("DEADLINE", repr(deadline))
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    return child


def log_events(text: str) -> dict[str, dict]:
    lines = (json.loads(line) for line in text.splitlines() if line.startswith("{"))
    return {line["event"]: line for line in lines}


def test_a_stop_that_hangs_names_the_task_then_exits_1_with_the_stacks() -> None:
    child = start(report_after=0.3, deadline=1.5)
    began = time.monotonic()
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    took = time.monotonic() - began
    assert child.returncode == 1
    assert 1.5 <= took < 10, took
    slow = log_events(out + err)["daemon.stop_slow"]
    assert "stubborn at <string>:9" in slow["pending"]  # the line of its await
    assert "Timeout (0:00:01.500000)!" in err  # faulthandler's dump of every thread
    assert "in run_until_complete" in err


def test_a_second_signal_stops_at_once() -> None:
    child = start(report_after=60, deadline=60)
    child.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    began = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 1
    assert time.monotonic() - began < 5
    assert log_events(out + err)["daemon.stop_forced"]["signal"] == "SIGINT"
    assert "Current thread" in err
    assert "in on_signal" in err
