"""UsageTable: PodMetrics bodies decoded into exact per-pod and per-namespace sums."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.model.bodies import ContainerMetrics, PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.quantities import QuantityError, quantity_from_json
from exporter.model.usage import KIND, UsageTable, quantity_nanos

KI = 1024
MI = 1024**2


def container(name: str, cpu: Any = None, memory: Any = None) -> ContainerMetrics:
    usage = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": name, "usage": usage}


def pod_metrics(namespace: str, name: str, *containers: Any) -> PodMetrics:
    """A PodMetrics object as metrics-server serves it (or with malformed containers)."""
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "timestamp": "2025-01-01T00:00:00Z",
        "window": "15s",
        "containers": list(containers),
    }


SAMPLE: list[PodMetrics] = [
    pod_metrics(
        "dev", "api-1",
        container("api", "123456n", "12345Ki"),
        container("sidecar", "12m", "1Mi"),
    ),
    pod_metrics("dev", "api-2", container("api", "250m", "64Mi")),
    pod_metrics("prod", "api-1", container("api", "1", "1Gi"), container("log", "0.5", "1000")),
]  # fmt: skip


@pytest.fixture
def health() -> InformerHealth:
    return InformerHealth()


@pytest.fixture
def table(health: InformerHealth) -> UsageTable:
    return UsageTable(health=health)


def test_pod_usage_sums_containers_exactly(table: UsageTable) -> None:
    assert table.replace(SAMPLE, timestamp=100.0) == 0
    assert table.pod_usage("dev", "api-1") == (123_456 + 12_000_000, 12345 * KI + MI)
    assert table.pod_usage("dev", "api-2") == (250_000_000, 64 * MI)
    assert table.pod_usage("prod", "api-1") == (1_500_000_000, 1024 * MI + 1000)
    assert table.pod_usage("prod", "api-2") is None
    assert table.pod_usage("nowhere", "api-1") is None
    assert len(table) == 3


def test_namespace_usage_sums_pods(table: UsageTable) -> None:
    table.replace(SAMPLE, timestamp=100.0)
    assert table.namespace_usage() == {
        "dev": {"cpu": 123_456 + 12_000_000 + 250_000_000, "memory": 12345 * KI + MI + 64 * MI},
        "prod": {"cpu": 1_500_000_000, "memory": 1024 * MI + 1000},
    }


def test_replace_swaps_the_whole_sample(table: UsageTable) -> None:
    table.replace(SAMPLE, timestamp=100.0)
    table.replace([pod_metrics("prod", "api-9", container("api", "2m", "2Ki"))], timestamp=130.0)
    assert table.namespace_usage() == {"prod": {"cpu": 2_000_000, "memory": 2048}}
    assert table.pod_usage("dev", "api-1") is None
    assert list(table.pods()) == [("prod", "api-9", (2_000_000, 2048))]
    assert table.age(145.5) == 15.5


def test_up_and_clear(table: UsageTable) -> None:
    assert (table.up, table.age(1.0)) == (False, None)  # nothing measured yet
    table.replace(SAMPLE, timestamp=100.0)
    assert table.up
    table.clear()
    assert (table.up, table.age(200.0), len(table)) == (False, None, 0)
    assert table.namespace_usage() == {}
    assert table.pod_usage("dev", "api-1") is None


def test_an_empty_sample_is_up_with_no_usage(table: UsageTable) -> None:
    table.replace([], timestamp=5.0)
    assert (table.up, table.namespace_usage(), table.age(5.0)) == (True, {}, 0.0)


@pytest.mark.parametrize(
    "bad",
    [
        pod_metrics("dev", "bad", container("api", "12xb", "1Mi")),
        pod_metrics("dev", "bad", container("api", "1m", "lots")),
        pod_metrics("dev", "bad", container("api", "-5m", "1Mi")),  # valid text, impossible usage
        pod_metrics("dev", "bad", container("api", ["1m"], "1Mi")),
        pod_metrics("dev", "bad", {"name": "api"}),  # no usage map
        pod_metrics("dev", "bad", "api"),
        {"metadata": {"name": "bad"}, "containers": []},  # no namespace
        {"containers": []},
        {**pod_metrics("dev", "bad"), "containers": {"api": {}}},
    ],
)
def test_malformed_pod_is_counted_and_skipped(
    table: UsageTable, health: InformerHealth, bad: Any
) -> None:
    good = pod_metrics("dev", "good", container("api", "3m", "3Ki"))
    assert table.replace([bad, good], timestamp=1.0) == 1
    assert health.parse_errors_total[KIND] == 1
    assert table.pod_usage("dev", "bad") is None
    assert table.namespace_usage() == {"dev": {"cpu": 3_000_000, "memory": 3 * KI}}
    # Counting must not leave an unsynced "informer" behind to hold /readyz at 503.
    assert health.unsynced_kinds() == []


def test_missing_resource_counts_as_zero(table: UsageTable) -> None:
    table.replace(
        [pod_metrics("dev", "p", container("a", cpu="5n"), container("b", memory="7Ki"))],
        timestamp=1.0,
    )
    assert table.pod_usage("dev", "p") == (5, 7 * KI)


def test_memory_rounds_up_to_whole_bytes(table: UsageTable) -> None:
    # Quantity.Value() rounds up: 1500m bytes are 2 bytes, 1n is 1.
    table.replace(
        [pod_metrics("dev", "p", container("a", "0", "1500m"), container("b", "0", "1n"))],
        timestamp=1.0,
    )
    assert table.pod_usage("dev", "p") == (0, 3)


def test_namespaces_are_interned(table: UsageTable) -> None:
    name = "".join(["te", "am-x"])  # built at run time: not interned by the compiler
    table.replace([pod_metrics(name, "p", container("a", "1m", "1Ki"))], timestamp=1.0)
    (namespace,) = table.namespace_usage()
    assert namespace is sys.intern("team-x")


@pytest.mark.parametrize(
    "text",
    ["123456n", "0n", "12m", "1", "0", "12345Ki", "3Mi", "2Gi", "7k", "1M", "4G", "5u",
     "007n", "1.5", "1e3", "+1n", ".5Ki", "1Ti", "9223372036854775807Ki", "12K", "Ki", "n",
     "", "\uff11n", "1 n", " 1n"],  # \uff11: a fullwidth digit, which isdigit() accepts
)  # fmt: skip
def test_fast_path_agrees_with_the_parser(text: str) -> None:
    try:
        expected: int | None = quantity_from_json(text).nanos
    except QuantityError:
        expected = None
    try:
        got: int | None = quantity_nanos(text)
    except QuantityError:
        got = None
    assert got == expected


@given(
    digits=st.integers(min_value=0, max_value=10**22),
    suffix=st.sampled_from(["", "n", "u", "m", "k", "M", "G", "Ki", "Mi", "Gi"]),
)
def test_fast_path_agrees_with_the_parser_everywhere(digits: int, suffix: str) -> None:
    text = f"{digits}{suffix}"
    assert quantity_nanos(text) == quantity_from_json(text).nanos
