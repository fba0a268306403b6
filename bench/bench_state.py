"""Micro-benchmark of ClusterState and /metrics on a large synthetic cluster.

    .venv/bin/python -m bench.bench_state [--namespaces 5000] [--pods 20]

Reports: time to LIST everything into the state, memory the state keeps (tracemalloc,
current and peak during the load), pod MODIFIED events applied per second (status-only
changes and changes that move the sums), and the median /metrics render time of
prometheus_client's generate_latest and of the cached TextExposition side by side:
cold (the first scrape of a freshly loaded state) and warm (after 1% of the pods
changed phase since the previous scrape, so their sums moved), each with a usage sample
of every pod. Every render includes building the state's snapshot. The gzip render is
the compressed /metrics Prometheus asks for; its size is printed beside what one gzip
stream of the whole text would be.
"""

from __future__ import annotations

import argparse
import copy
import gc
import random
import statistics
import time
import tracemalloc
import zlib
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, generate_latest

from exporter.metrics.collector import register_collectors
from exporter.metrics.exposition import BLOCK, TextExposition
from exporter.model.bodies import PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.usage import UsageTable
from quotasim.scenario import synthetic_manifests

KINDS = {"Node": "nodes", "Namespace": "namespaces", "ResourceQuota": "resourcequotas",
         "LimitRange": "limitranges", "Pod": "pods"}  # fmt: skip
PAGE = 500
RENDERERS = ("generate_latest", "TextExposition", "TextExposition gzip")  # renderers()' keys
MIB = 2**20
Body = Any  # an API object as JSON, as the API server would serve it
T = TypeVar("T")


def cluster_bodies(namespaces: int, pods: int) -> dict[str, list[Body]]:
    """Synthetic objects by kind, given what the API server adds (uid, phase, node)."""
    by_kind: dict[str, list[Body]] = {kind: [] for kind in KINDS.values()}
    for i, body in enumerate(synthetic_manifests(namespaces=namespaces, pods_per_namespace=pods)):
        kind = KINDS[body["kind"]]
        if kind == "pods":
            body["metadata"]["uid"] = f"00000000-0000-4000-8000-{i:012d}"
            body["spec"]["nodeName"] = f"node-{i % 1000:05d}"
            body["status"] = {"phase": "Running", "podIP": f"10.{i >> 16 & 255}.{i >> 8 & 255}.1"}
        by_kind[kind].append(body)
    return by_kind


def load(bodies: dict[str, list[Body]]) -> ClusterState:
    """LIST every kind into a fresh state, page by page, as the informers do."""
    state = ClusterState(health=InformerHealth())
    for kind, objects in bodies.items():
        state.begin_relist(kind)
        for start in range(0, len(objects), PAGE):
            state.add_listed(kind, objects[start : start + PAGE])
        state.end_relist(kind)
    return state


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timed_render(render: Callable[[], bytes]) -> float:
    """Milliseconds of one render, after a full collection: a collection that earlier work
    made due must not land in whichever renderer happens to run next."""
    gc.collect()
    start = time.perf_counter()
    render()
    return (time.perf_counter() - start) * 1000


def measure_memory(bodies: dict[str, list[Body]]) -> tuple[float, float]:
    """(MiB the loaded state keeps, MiB peak while loading), input bodies excluded."""
    gc.collect()
    tracemalloc.start()
    state = load(bodies)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del state
    return current / MIB, peak / MIB


def modified_events(pods: list[Body], count: int, *, move_sums: bool) -> list[Body]:
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


def events_per_second(state: ClusterState, events: list[Body]) -> float:
    elapsed, _ = timed(lambda: [state.apply("pods", "MODIFIED", body) for body in events])
    return len(events) / elapsed


def usage_table(pods: list[Body]) -> UsageTable:
    """A metrics.k8s.io sample of every pod, as the poller would have loaded it."""
    table = UsageTable(health=InformerHealth())
    items: list[PodMetrics] = [
        {"metadata": {"name": p["metadata"]["name"], "namespace": p["metadata"]["namespace"]},
         "containers": [{"name": "main", "usage": {"cpu": f"{i % 900}m", "memory": "100Mi"}}]}
        for i, p in enumerate(pods)
    ]  # fmt: skip
    table.replace(items, timestamp=0.0)
    return table


def renderers(state: ClusterState, usage: UsageTable) -> dict[str, Callable[[], bytes]]:
    """Both ways to produce /metrics in the text format, over the same state."""
    registry = CollectorRegistry()
    health = InformerHealth()
    register_collectors(registry, state=state, health=health, version="bench", usage=usage)
    text = TextExposition(state=state, health=health, version="bench", usage=usage)
    return {
        "generate_latest": lambda: generate_latest(registry),
        "TextExposition": text.render,
        "TextExposition gzip": text.render_gzip,
    }


def change_one_percent(state: ClusterState, pods: list[Body], rng: random.Random) -> None:
    """Flip the phase (Running <-> Succeeded) of 1% of the pods: their sums move."""
    for i in rng.sample(range(len(pods)), max(1, len(pods) // 100)):
        body = pods[i]
        phase = "Running" if body.get("status", {}).get("phase") == "Succeeded" else "Succeeded"
        pods[i] = {**body, "status": {"phase": phase}}
        state.apply("pods", "MODIFIED", pods[i])


def render_ms(
    bodies: dict[str, list[Body]], usage: UsageTable, name: str, rounds: int
) -> tuple[float, list[float]]:
    """(cold ms, [warm ms]) of one renderer on its own freshly loaded state: the first
    scrape, then ``rounds`` scrapes each after 1% of the pods changed."""
    state, pods, rng = load(bodies), list(bodies["pods"]), random.Random(7)
    render = renderers(state, usage)[name]
    cold = timed_render(render)
    warm = []
    for _ in range(rounds):
        change_one_percent(state, pods, rng)
        warm.append(timed_render(render))
    return cold, warm


def report_scrapes(bodies: dict[str, list[Body]], args: argparse.Namespace) -> None:
    """The side-by-side table of median /metrics render times, with the series count."""
    usage = usage_table(bodies["pods"])
    exposition = TextExposition(
        state=load(bodies), health=InformerHealth(), version="b", usage=usage
    )
    text, gzipped = exposition.render(), exposition.render_gzip()
    series = sum(1 for line in text.splitlines() if not line.startswith(b"#"))
    print(f"/metrics: {series:,} series, {len(text) / MIB:.1f} MiB of text")
    print(f"gzip, members of {BLOCK} namespaces: {len(gzipped) / MIB:.2f} MiB")
    for level in (1, 6):  # what one stream of the whole text would give, and cost
        took, whole = timed(partial(zlib.compress, text, level))
        size = len(whole) / MIB
        print(f"gzip, one stream at level {level}: {size:.2f} MiB in {took * 1000:.0f} ms")
    cold: dict[str, list[float]] = {name: [] for name in RENDERERS}
    warm: dict[str, list[float]] = {name: [] for name in RENDERERS}
    for _ in range(args.cold_runs):
        for name in RENDERERS:  # interleaved, so machine noise hits both alike
            first, then = render_ms(bodies, usage, name, args.rounds)
            cold[name].append(first)
            warm[name] += then
    print(f"{'render (median ms)':<22}{'cold':>8}{'warm (1% of pods changed)':>28}")
    for name in RENDERERS:
        median_cold, median_warm = statistics.median(cold[name]), statistics.median(warm[name])
        print(f"{name:<22}{median_cold:>8.0f}{median_warm:>28.0f}")


def main() -> None:
    """Run every measurement and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=20, help="pods per namespace")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="warm scrapes per load")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh loads per renderer")
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
    del state, events
    gc.collect()
    report_scrapes(bodies, args)


if __name__ == "__main__":
    main()
