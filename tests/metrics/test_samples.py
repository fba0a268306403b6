"""Usage, quota rejections, storage, LimitRange violations and GPUs, as exported."""

from __future__ import annotations

import copy
import subprocess

from prometheus_client import generate_latest

from exporter.model.bodies import ContainerMetrics, Event, PersistentVolumeClaim, PodMetrics
from quotasim.cluster import DEPLOYMENT, LIMITRANGE

from .helpers import GI, Scrape

DEV = {"namespace": "dev", "team": "agents"}
MI = 2**20


def pod_metrics(ns: str, name: str, *usages: tuple[str, str]) -> PodMetrics:
    containers: list[ContainerMetrics] = [
        {"name": f"c{i}", "usage": {"cpu": c, "memory": m}} for i, (c, m) in enumerate(usages)
    ]
    return {"metadata": {"name": name, "namespace": ns}, "timestamp": "x", "containers": containers}


def test_usage_and_metrics_api_up_from_literal_pod_metrics(scrape: Scrape) -> None:
    assert scrape.value("quotameter_metrics_api_up") == 0
    assert scrape.value("quotameter_namespace_usage", resource="cpu", **DEV) is None
    scrape.usage.replace(
        [
            pod_metrics("dev", "a", ("123456789n", "131072Ki"), ("50m", "1Mi")),
            pod_metrics("dev", "b", ("0", "1048576")),
            pod_metrics("prod", "c", ("1", "1Gi")),
            pod_metrics("ghost", "d", ("1", "1Gi")),  # the state knows no such namespace
        ],
        timestamp=1700000000.0,
    )
    assert scrape.value("quotameter_metrics_api_up") == 1
    assert scrape.value("quotameter_namespace_usage", resource="cpu", **DEV) == 0.173456789
    assert scrape.value("quotameter_namespace_usage", resource="memory", **DEV) == 130 * MI
    prod = {"namespace": "prod", "team": "agents-prod"}
    assert scrape.value("quotameter_namespace_usage", resource="memory", **prod) == GI
    assert scrape.series("ghost") == []
    assert scrape.series("staging") != []  # not sampled: no usage series, the rest stays
    assert scrape.value("quotameter_namespace_usage", namespace="staging", team="agents",
                        resource="cpu") is None  # fmt: skip
    scrape.usage.clear()
    assert scrape.value("quotameter_metrics_api_up") == 0
    assert scrape.value("quotameter_namespace_usage", resource="cpu", **DEV) is None


def failed_create(uid: str, count: int, *, combined: bool = False) -> Event:
    message = (
        'Error creating: pods "agent-api-x" is forbidden: exceeded quota: dev-quota, '
        "requested: requests.cpu=100m,pods=1, used: requests.cpu=2,pods=20, "
        "limited: requests.cpu=2,pods=20"
    )
    return {
        "metadata": {"name": f"agent-api.{uid}", "namespace": "dev", "uid": uid},
        "involvedObject": {"kind": "ReplicaSet", "namespace": "dev", "name": "agent-api"},
        "reason": "FailedCreate",
        "message": ("(combined from similar events): " if combined else "") + message,
        "count": count,
        "lastTimestamp": "2024-05-01T10:00:00Z",
    }


def test_rejections_total_from_events_fed_through_the_state(scrape: Scrape) -> None:
    labels = {**DEV, "quota": "dev-quota"}
    name = "quotameter_quota_rejections_total"
    assert scrape.value(name, resource="pods", **labels) is None  # nothing refused yet
    scrape.state.apply("events", "ADDED", failed_create("e1", 1))
    scrape.state.apply("events", "MODIFIED", failed_create("e1", 3))  # two more refusals
    scrape.state.apply("events", "ADDED", failed_create("e2", 1, combined=True))
    assert scrape.value(name, resource="pods", **labels) == 4
    assert scrape.value(name, resource="requests.cpu", **labels) == 4
    assert scrape.value(name, resource="requests.memory", **labels) is None
    text = scrape.text.render().decode()
    assert "# TYPE quotameter_quota_rejections_total counter" in text
    assert (
        'quotameter_quota_rejections_total{namespace="dev",team="agents",quota="dev-quota",'
        'resource="pods"} 4\n' in text
    )


def test_rejections_from_the_simulated_replicaset_controller(scrape: Scrape) -> None:
    deployment = copy.deepcopy(scrape.cluster.get(DEPLOYMENT, "dev", "agent-api"))
    deployment["spec"]["replicas"] = 10  # limits.cpu 4 fits 8 pods of 500m
    scrape.cluster.update(DEPLOYMENT, deployment, namespace="dev")
    scrape.catch_up()
    labels = {**DEV, "quota": "dev-quota"}
    name = "quotameter_quota_rejections_total"
    assert scrape.value(name, resource="limits.cpu", **labels) == 1
    assert scrape.value(name, resource="limits.memory", **labels) == 1
    assert scrape.value(name, resource="pods", **labels) is None
    assert scrape.quota("used", "dev", "limits.cpu") == 4


def claim(ns: str, name: str, size: str, cls: str, phase: str) -> PersistentVolumeClaim:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"storageClassName": cls, "resources": {"requests": {"storage": size}}},
        "status": {"phase": phase},
    }


def test_storage_requests_from_literal_claims(scrape: Scrape) -> None:
    for body in (
        claim("dev", "data", "5Gi", "standard", "Bound"),
        claim("dev", "new", "512Mi", "fast", "Pending"),
        claim("prod", "old", "1Ti", "standard", "Lost"),
        claim("scratch", "tmp", "1G", "standard", "Bound"),  # a namespace with claims only
    ):
        scrape.state.apply("persistentvolumeclaims", "ADDED", body)
    requests = "quotameter_namespace_requests"
    assert scrape.value(requests, resource="storage", **DEV) == 5 * GI + 512 * MI
    assert scrape.value(requests, resource="cpu", **DEV) == 0.2
    prod = {"namespace": "prod", "team": "agents-prod"}
    assert scrape.value(requests, resource="storage", **prod) is None
    scratch = {"namespace": "scratch", "team": "unallocated"}
    assert scrape.value(requests, resource="storage", **scratch) == 10**9
    assert scrape.value("quotameter_namespace_pods", phase="Running", **scratch) is None


def test_storage_and_gpus_on_the_demo_scenario(demo: Scrape) -> None:
    ml = {"namespace": "ml-training", "team": "ml"}
    requests = "quotameter_namespace_requests"
    assert demo.value(requests, resource="storage", **ml) == 200 * GI
    assert demo.value(requests, resource="storage", namespace="dev", team="agents") == 5 * GI
    quota = {**ml, "quota": "gpu-quota", "resource": "requests.nvidia.com/gpu"}
    assert demo.value("quotameter_quota_saturation_ratio", **quota) == 0.5
    assert demo.value("quotameter_quota_used", **quota) == 2
    assert demo.value("quotameter_quota_hard", **quota) == 4
    assert demo.value("quotameter_quota_observed_used", **quota) == 2
    # The quota key's resource part is the `resource` label of the namespace metrics.
    gpu = quota["resource"].removeprefix("requests.")
    assert gpu == "nvidia.com/gpu"
    assert demo.value(requests, resource=gpu, **ml) == 2
    assert demo.value("quotameter_namespace_limits", resource=gpu, **ml) == 2


def test_limitrange_violations_follow_a_tightened_limitrange(scrape: Scrape) -> None:
    name = "quotameter_namespace_limitrange_violations"
    labels = {**DEV, "limitrange": "dev-limits"}
    for resource in ("cpu", "memory"):
        for constraint in ("min", "max"):
            assert scrape.value(name, resource=resource, constraint=constraint, **labels) == 0
    assert scrape.value(name, resource="cpu", constraint="default", **labels) is None
    limits = copy.deepcopy(scrape.cluster.get(LIMITRANGE, "dev", "dev-limits"))
    item = limits["spec"]["limits"][0]
    item["max"] = {"cpu": "499m", "memory": "512Mi"}  # agent-api pods are limited to 500m
    item["maxLimitRequestRatio"] = {"memory": "4"}  # 512Mi / 128Mi is 4: inside
    scrape.cluster.update(LIMITRANGE, limits, namespace="dev")
    scrape.catch_up()
    assert scrape.value(name, resource="cpu", constraint="max", **labels) == 2
    assert scrape.value(name, resource="memory", constraint="max", **labels) == 0
    ratio = scrape.value(name, resource="memory", constraint="maxLimitRequestRatio", **labels)
    assert ratio == 0


def test_promtool_finds_no_problems_with_every_metric_present(demo: Scrape) -> None:
    demo.usage.replace([pod_metrics("ml-training", "trainer", ("3", "12Gi"))], timestamp=1.0)
    demo.state.apply("events", "ADDED", {**failed_create("e1", 2), "metadata": {
        "name": "x", "namespace": "staging", "uid": "e1"}})  # fmt: skip
    tight = copy.deepcopy(demo.cluster.get(LIMITRANGE, "dev", "dev-limits"))
    tight["spec"]["limits"][0]["max"] = {"cpu": "100m"}
    demo.cluster.update(LIMITRANGE, tight, namespace="dev")
    demo.catch_up()
    for text in (generate_latest(demo.registry), demo.text.render()):
        for needle in (b"namespace_usage{", b"rejections_total{", b'resource="storage"',
                       b"limitrange_violations{", b"metrics_api_up 1"):  # fmt: skip
            assert needle in text
        result = subprocess.run(
            ["promtool", "check", "metrics"],
            input=text,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
