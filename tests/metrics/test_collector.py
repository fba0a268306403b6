"""The collectors on the reference scenario: exact values, teams, vanishing series, promtool."""

from __future__ import annotations

import subprocess

import pytest
from prometheus_client import generate_latest

from exporter.metrics.families import ALL_METRICS, COST_METRICS
from quotasim.cluster import NAMESPACE, POD

from .helpers import GI, TEAMS, Scrape, create_agent_worker


def test_dev_quota_matches_kubectl(scrape: Scrape) -> None:
    used = {
        r: scrape.quota("used", "dev", r)
        for r in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods")
    }
    assert used == {
        "requests.cpu": 0.2,
        "requests.memory": 268435456,
        "limits.cpu": 1,
        "limits.memory": GI,
        "pods": 2,
    }
    hard = {
        r: scrape.quota("hard", "dev", r)
        for r in (
            "requests.cpu",
            "requests.memory",
            "limits.cpu",
            "limits.memory",
            "pods",
            "requests.storage",
        )
    }
    assert hard == {
        "requests.cpu": 2,
        "requests.memory": 2 * GI,
        "limits.cpu": 4,
        "limits.memory": 4 * GI,
        "pods": 20,
        "requests.storage": 10 * GI,
    }
    assert scrape.quota("saturation_ratio", "dev", "requests.cpu") == 0.1
    assert scrape.quota("saturation_ratio", "dev", "pods") == 0.1
    assert scrape.quota("saturation_ratio", "dev", "requests.memory") == 0.125
    assert scrape.quota("saturation_ratio", "dev", "requests.storage") == 0
    assert scrape.quota("observed_used", "dev", "requests.cpu") == 0.2
    assert scrape.quota("observed_used", "dev", "limits.memory") == GI
    assert scrape.quota("observed_used", "dev", "requests.storage") is None  # not a compute key
    info = {"namespace": "dev", "team": "agents", "quota": "dev-quota", "scopes": ""}
    assert scrape.value("quotameter_quota_info", **info) == 1


def test_staging_and_prod_quotas_and_teams(scrape: Scrape) -> None:
    for ns, hard_cpu in (("staging", 4), ("prod", 8)):
        assert scrape.quota("hard", ns, "requests.cpu") == hard_cpu
        assert scrape.quota("used", ns, "requests.cpu") == 0.4
        assert scrape.quota("used", ns, "requests.memory") == 536870912
        assert scrape.quota("saturation_ratio", ns, "requests.cpu") == 0.4 / hard_cpu
    assert scrape.quota("hard", "prod", "limits.memory") == 16 * GI
    assert scrape.quota("hard", "staging", "pods") == 30


@pytest.mark.parametrize(
    ("ns", "constraint", "cpu", "memory"),
    [
        ("dev", "default", 0.25, 256 * 2**20),
        ("dev", "defaultRequest", 0.1, 128 * 2**20),
        ("dev", "max", 0.5, 512 * 2**20),
        ("dev", "min", 0.01, 32 * 2**20),
        ("staging", "max", 1, GI),
        ("prod", "default", 0.75, 768 * 2**20),
        ("prod", "min", 0.1, 128 * 2**20),
    ],
)
def test_limitranges(scrape: Scrape, ns: str, constraint: str, cpu: float, memory: int) -> None:
    labels = {
        "namespace": ns,
        "team": TEAMS[ns],
        "limitrange": f"{ns}-limits",
        "type": "Container",
        "constraint": constraint,
    }
    assert scrape.value("quotameter_limitrange", resource="cpu", **labels) == cpu
    assert scrape.value("quotameter_limitrange", resource="memory", **labels) == memory


def test_namespace_workload_sums(scrape: Scrape) -> None:
    dev = {"namespace": "dev", "team": "agents"}
    assert scrape.value("quotameter_namespace_requests", resource="cpu", **dev) == 0.2
    assert scrape.value("quotameter_namespace_limits", resource="memory", **dev) == GI
    assert scrape.value("quotameter_namespace_pods", phase="Running", **dev) == 2
    for metric in ("without_requests", "without_limits"):
        for resource in ("cpu", "memory"):
            name = f"quotameter_namespace_containers_{metric}"
            assert scrape.value(name, resource=resource, **dev) == 0
    prod = {"namespace": "prod", "team": "agents-prod"}
    assert scrape.value("quotameter_namespace_requests", resource="memory", **prod) == 536870912


def test_agent_worker_gets_the_limitrange_defaults(scrape: Scrape) -> None:
    create_agent_worker(scrape)
    assert scrape.quota("used", "dev", "requests.cpu") == 0.3
    assert scrape.quota("used", "dev", "requests.memory") == 402653184
    assert scrape.quota("used", "dev", "limits.cpu") == 1.25
    assert scrape.quota("used", "dev", "limits.memory") == 1342177280
    assert scrape.quota("used", "dev", "pods") == 3
    # Recomputed from pods, the same figures.
    assert scrape.quota("observed_used", "dev", "requests.cpu") == 0.3
    assert scrape.quota("observed_used", "dev", "limits.memory") == 1342177280
    assert scrape.quota("observed_used", "dev", "pods") == 3
    dev = {"namespace": "dev", "team": "agents"}
    assert scrape.value("quotameter_namespace_requests", resource="memory", **dev) == 402653184
    assert scrape.value("quotameter_namespace_limits", resource="cpu", **dev) == 1.25
    assert scrape.value("quotameter_namespace_pods", phase="Running", **dev) == 3


def test_deleting_staging_removes_its_series(scrape: Scrape) -> None:
    assert len(scrape.series("staging")) > 20
    scrape.cluster.delete(NAMESPACE, "", "staging")
    scrape.catch_up()
    assert scrape.series("staging") == []
    assert scrape.quota("used", "dev", "requests.cpu") == 0.2


def test_health_metrics(scrape: Scrape) -> None:
    create_agent_worker(scrape)
    assert scrape.value("quotameter_build_info", version="1.2.3") == 1
    assert scrape.value("quotameter_informer_synced", kind="pods") == 1
    assert scrape.value("quotameter_informer_relists_total", kind="nodes", reason="initial") == 1
    assert scrape.value("quotameter_informer_events_total", kind="pods", type="ADDED") == 1
    ts = scrape.value("quotameter_informer_last_event_timestamp_seconds", kind="pods")
    assert ts == 1700000000.0
    assert scrape.value("quotameter_parse_errors_total", kind="pods") == 0
    scrape.state.apply(
        "pods",
        "ADDED",
        {
            "metadata": {"name": "x", "namespace": "dev"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1 core"}}}]},
        },
    )
    scrape.health.record_api_error("pods", "429")
    assert scrape.value("quotameter_parse_errors_total", kind="pods") == 1
    assert scrape.value("quotameter_api_errors_total", kind="pods", code="429") == 1


def test_series_grow_with_namespaces_not_pods(scrape: Scrape) -> None:
    def state_series() -> list[bytes]:
        # Informer series gain one per new kind or event type seen, never one per object.
        lines = generate_latest(scrape.registry).splitlines()
        return [line for line in lines if not line.startswith(b"quotameter_informer_")]

    before = len(state_series())
    for i in range(5):
        body = {
            "metadata": {"name": f"extra-{i}", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
        scrape.cluster.create(POD, body, namespace="prod")
    scrape.catch_up()
    assert (
        scrape.value(
            "quotameter_namespace_pods", namespace="prod", team="agents-prod", phase="Running"
        )
        == 7
    )
    assert len(state_series()) == before


def test_only_the_spec_metric_names_are_exported(scrape: Scrape) -> None:
    create_agent_worker(scrape)
    names = {m.name for m in scrape.registry.collect()}
    # The cost families come from their own collector (tests/metrics/test_cost_samples.py).
    expected = {s.name.removesuffix("_total") for s in ALL_METRICS if s not in COST_METRICS}
    assert names == expected
    assert all(name.startswith("quotameter_") for name in names)


def test_promtool_finds_no_problems(scrape: Scrape) -> None:
    create_agent_worker(scrape)
    text = generate_latest(scrape.registry)
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
