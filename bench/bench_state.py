"""Micro-benchmark of ClusterState and the collectors on a large synthetic cluster.

    .venv/bin/python bench/bench_state.py [--namespaces 5000] [--pods 20]

Reports: time to LIST everything into the state, memory the state keeps (tracemalloc,
current and peak during the load), pod MODIFIED events applied per second (status-only
changes and changes that move the sums), and one scrape (collect + generate_latest).
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest

from exporter.metrics.collector import register_collectors
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.sim.scenario import synthetic_manifests

KINDS = {"Node": "nodes", "Namespace": "namespaces", "ResourceQuota": "resourcequotas",
         "LimitRange": "limitranges", "Pod": "pods"}  # fmt: skip
PAGE = 500
MIB = 2**20


def cluster_bodies(namespaces: int, pods: int) -> dict[str, list[dict]]:
    """Synthetic objects by kind, given what the API server adds (uid, phase, node)."""
    by_kind: dict[str, list[dict]] = {kind: [] for kind in KINDS.values()}
    for i, body in enumerate(synthetic_manifests(namespaces=namespaces, pods_per_namespace=pods)):
        kind = KINDS[body["kind"]]
        if kind == "pods":
            body["metadata"]["uid"] = f"00000000-0000-4000-8000-{i:012d}"
            body["spec"]["nodeName"] = f"node-{i % 1000:05d}"
            body["status"] = {"phase": "Running", "podIP": f"10.{i >> 16 & 255}.{i >> 8 & 255}.1"}
        by_kind[kind].append(body)
    return by_kind


def load(bodies: dict[str, list[dict]]) -> ClusterState:
    """LIST every kind into a fresh state, page by page, as the informers do."""
    state = ClusterState(health=InformerHealth())
    for kind, objects in bodies.items():
        state.begin_relist(kind)
        for start in range(0, len(objects), PAGE):
            state.add_listed(kind, objects[start : start + PAGE])
        state.end_relist(kind)
    return state


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure_memory(bodies: dict[str, list[dict]]) -> tuple[float, float]:
    """(MiB the loaded state keeps, MiB peak while loading), input bodies excluded."""
    gc.collect()
    tracemalloc.start()
    state = load(bodies)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del state
    return current / MIB, peak / MIB


def modified_events(pods: list[dict], count: int, *, move_sums: bool) -> list[dict]:
    """Pod bodies as MODIFIED events: new status only, or a new phase that moves the sums."""
    events = []
    for i in range(count):
        body = copy.copy(pods[i % len(pods)])
        if move_sums:
            body["status"] = {"phase": "Succeeded" if (i // len(pods)) % 2 == 0 else "Running"}
        else:
            body["status"] = {"phase": "Running", "podIP": f"10.99.{i >> 8 & 255}.{i & 255}"}
        events.append(body)
    return events


def events_per_second(state: ClusterState, events: list[dict]) -> float:
    elapsed, _ = timed(lambda: [state.apply("pods", "MODIFIED", body) for body in events])
    return len(events) / elapsed


def scrape_seconds(state: ClusterState, registry: CollectorRegistry, probe: dict) -> float:
    """Median of 5 scrapes, each after one event, so the snapshot is rebuilt every time."""
    samples = []
    for _ in range(5):
        state.apply("pods", "MODIFIED", probe)
        samples.append(timed(lambda: generate_latest(registry))[0])
    return statistics.median(samples)


def main() -> None:
    """Run every measurement and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=20, help="pods per namespace")
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    bodies = cluster_bodies(args.namespaces, args.pods)
    pods = bodies["pods"]
    print(f"cluster: {args.namespaces} namespaces, {len(pods)} pods, {len(bodies['nodes'])} nodes")
    memory, peak = measure_memory(bodies)
    print(f"state memory (tracemalloc): {memory:.1f} MiB kept, {peak:.1f} MiB peak during load")
    load_seconds, state = timed(lambda: load(bodies))
    print(f"load (LIST all kinds): {load_seconds:.2f} s ({len(pods) / load_seconds:,.0f} pods/s)")
    for move_sums in (False, True):
        events = modified_events(pods, args.events, move_sums=move_sums)
        rate = events_per_second(state, events)
        what = "phase changes (sums move)" if move_sums else "status-only changes"
        print(f"pod MODIFIED, {what}: {rate:,.0f} events/s")
    registry = CollectorRegistry()
    register_collectors(registry, state=state, health=InformerHealth(), version="bench")
    text = generate_latest(registry)
    series = sum(1 for line in text.splitlines() if not line.startswith(b"#"))
    seconds = scrape_seconds(state, registry, pods[0])
    print(f"scrape (snapshot + collect + generate_latest): {seconds * 1000:.0f} ms median of 5, "
          f"{series:,} series, {len(text) / MIB:.1f} MiB of text")  # fmt: skip


if __name__ == "__main__":
    main()
