"""Benchmark of the right-sizing history: 5,000 namespaces, each with a 6-key quota and
20 pods, sampled for usage.

    .venv/bin/python -m bench.bench_peaks [--namespaces 5000] [--rounds 5]

Reported, each the median of ``--rounds``: the first observation of a UTC day (every
namespace read again, once a day and at start) and its longest slice between two pauses
(the daemon's tick pauses every 500 namespaces), an observation when nothing changed
(every accounting tick), taking the 40,000 pending rows (and the longest slice the
flush takes at once) and settling them, and writing them in one transaction (the
ledger's thread). Garbage collection is frozen after the state is built, as
`quotameter run` does after its LISTs.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from exporter.cost.integrator import Batch
from exporter.ledger.store import Ledger
from exporter.model.health import InformerHealth
from exporter.model.peaks import DailyPeaks
from exporter.model.state import ClusterState
from exporter.model.teams import TeamRules
from exporter.model.usage import UsageTable

HARD = {"requests.cpu": "8", "requests.memory": "16Gi", "limits.cpu": "16",
        "limits.memory": "32Gi", "pods": "50", "requests.storage": "100Gi"}  # fmt: skip
PODS = 20
Body = Any  # an API object as JSON


def build(namespaces: int) -> tuple[ClusterState, UsageTable]:
    health = InformerHealth()
    state = ClusterState(health=health, rules=TeamRules())
    quotas: list[Body] = [
        {"metadata": {"name": "q", "namespace": f"ns-{i}"}, "spec": {"hard": HARD},
         "status": {"hard": HARD, "used": dict.fromkeys(HARD, "1")}}
        for i in range(namespaces)
    ]  # fmt: skip
    requests = {"cpu": "100m", "memory": "128Mi"}
    pods: list[Body] = [
        {"metadata": {"name": f"p{j}", "namespace": f"ns-{i}", "uid": f"{i}-{j}"},
         "spec": {"nodeName": "n",
                  "containers": [{"name": "c", "resources": {"requests": requests}}]},
         "status": {"phase": "Running"}}
        for i in range(namespaces) for j in range(PODS)
    ]  # fmt: skip
    for kind, items in (("resourcequotas", quotas), ("pods", pods)):
        state.begin_relist(kind)
        state.add_listed(kind, items)
        state.end_relist(kind)
    usage = UsageTable(health=health)
    sample: list[Body] = [
        {"metadata": {"name": f"p{j}", "namespace": f"ns-{i}"},
         "containers": [{"name": "c", "usage": {"cpu": "50m", "memory": "64Mi"}}]}
        for i in range(namespaces) for j in range(PODS)
    ]  # fmt: skip
    usage.replace(sample, timestamp=1.0)
    return state, usage


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def longest_slice(steps: Iterator[object]) -> float:
    """The longest stretch between two pauses of a stepped call (the daemon's event
    loop serves scrapes and events at each pause)."""
    longest, began = 0.0, time.perf_counter()
    for _ in steps:
        longest = max(longest, time.perf_counter() - began)
        began = time.perf_counter()
    return max(longest, time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    state, usage = build(args.namespaces)
    gc.collect()
    gc.freeze()
    figures: dict[str, list[float]] = {}
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(f"{tmp}/ledger.sqlite")
        for day in range(args.rounds):
            peaks, snapshot, today = DailyPeaks(), state.snapshot(), f"2026-12-{day + 1:02d}"
            first = timed(partial(peaks.observe, snapshot, usage=usage, day=today))
            batch = peaks.pending()
            rows = len(batch.quotas) + len(batch.demand)
            sliced = DailyPeaks()
            steps = {
                "first observation of a day": first,
                "  its longest slice (tick)": longest_slice(
                    sliced.observe_steps(snapshot, usage=usage, day=today)
                ),
                "  pending()'s longest slice": longest_slice(sliced.pending_steps()),
                "observation, nothing changed": timed(
                    partial(peaks.observe, snapshot, usage=usage, day=today)
                ),
                "pending() of the day's rows": timed(peaks.pending),
                "ledger write (ledger thread)": timed(
                    partial(ledger.write, Batch(1.8e9, (), ()), batch)
                ),
                "committed()": timed(partial(peaks.committed, batch)),
            }
            for name, took in steps.items():
                figures.setdefault(name, []).append(took)
        ledger.close()
    print(f"{args.namespaces} namespaces, {rows} rows a day, median of {args.rounds}:")
    for name, runs in figures.items():
        print(f"  {name:32} {statistics.median(runs) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
