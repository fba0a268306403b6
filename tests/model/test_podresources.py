"""Effective pod requests and limits, on literal pod specs.

Cases follow k8s.io/component-helpers/resource/helpers_test.go (TestPodRequestsAndLimits,
TestPodResourceRequests, TestPodResourceLimits, TestPodLevelResourceRequests).
"""

from typing import Any, Unpack

import pytest

from exporter.model.bodies import Container, PodSpec, ResourceRequirements
from exporter.model.podresources import default_requests_from_limits, pod_limits, pod_requests
from exporter.model.quantities import ZERO, QuantityError


def ctr(
    name: str, /, requests: Any = None, limits: Any = None, **extra: Unpack[Container]
) -> Container:
    """A container dict as the API returns it (or with a malformed resource list)."""
    resources: ResourceRequirements = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "busybox", "resources": resources, **extra}


def sidecar(name: str, requests: Any = None, limits: Any = None) -> Container:
    """A restartable init container (native sidecar)."""
    return ctr(name, requests, limits, restartPolicy="Always")


def text(resources: dict) -> dict[str, str]:
    """Canonical strings, so a test checks value and Kubernetes' printed form at once."""
    return {name: str(quantity) for name, quantity in resources.items()}


def test_app_containers_are_summed() -> None:
    spec: PodSpec = {
        "containers": [
            ctr("a", {"cpu": "100m", "memory": "128Mi"}, {"cpu": "500m", "memory": "512Mi"}),
            ctr("b", {"cpu": "0.25", "memory": "256Mi", "ephemeral-storage": "1Gi"}),
        ]
    }
    assert text(pod_requests(spec)) == {
        "cpu": "350m",
        "memory": "384Mi",
        "ephemeral-storage": "1Gi",
    }
    assert text(pod_limits(spec)) == {"cpu": "500m", "memory": "512Mi"}


def test_reference_scenario_dev_pods_sum_like_the_quota() -> None:
    agent_api: PodSpec = {"containers": [ctr("api", {"cpu": "100m", "memory": "128Mi"},
                                    {"cpu": "500m", "memory": "512Mi"})]}  # fmt: skip
    worker: PodSpec = {"containers": [ctr("w", {"cpu": "100m", "memory": "128Mi"},
                                 {"cpu": "250m", "memory": "256Mi"})]}  # fmt: skip
    requests = [pod_requests(p) for p in (agent_api, agent_api, worker)]
    limits = [pod_limits(p) for p in (agent_api, agent_api, worker)]
    assert str(sum((r["cpu"] for r in requests), ZERO)) == "300m"
    assert str(sum((r["memory"] for r in requests), ZERO)) == "384Mi"
    assert str(sum((lim["cpu"] for lim in limits), ZERO)) == "1250m"
    assert str(sum((lim["memory"] for lim in limits), ZERO)) == "1280Mi"


@pytest.mark.parametrize(
    ("init", "apps", "expected"),
    [
        ([ctr("i", {"cpu": "4"})], [ctr("a", {"cpu": "1"})], "4"),  # larger init container
        ([ctr("i", {"cpu": "2"})], [ctr("a", {"cpu": "2"}), ctr("b", {"cpu": "3"})], "5"),
        ([sidecar("s", {"cpu": "1"})], [ctr("a", {"cpu": "1"})], "2"),  # sidecar + app
        # max(5, sidecars 1+2+3 + app 1) = 7
        ([ctr("i", {"cpu": "5"}), sidecar("s1", {"cpu": "1"}), sidecar("s2", {"cpu": "2"}),
          sidecar("s3", {"cpu": "3"})], [ctr("a", {"cpu": "1"})], "7"),
        # init-2 needs 5 + the sidecars started before it (1+2) = 8; s3 starts after it
        ([ctr("i1", {"cpu": "5"}), sidecar("s1", {"cpu": "1"}), sidecar("s2", {"cpu": "2"}),
          ctr("i2", {"cpu": "5"}), sidecar("s3", {"cpu": "3"})], [ctr("a", {"cpu": "1"})], "8"),
        # the sidecar declared before init-1 runs beside it: 10 + 200
        ([sidecar("s", {"cpu": "10"}), ctr("i", {"cpu": "200"})], [ctr("a", {"cpu": "100"})],
         "210"),
        # a sidecar declared after the init container does not add to that init's peak
        ([ctr("i", {"cpu": "200"}), sidecar("s", {"cpu": "10"})], [ctr("a", {"cpu": "100"})],
         "200"),
    ],
)  # fmt: skip
def test_init_containers_and_sidecars(
    init: list[Container], apps: list[Container], expected: str
) -> None:
    spec: PodSpec = {"initContainers": init, "containers": apps}
    assert text(pod_requests(spec)) == {"cpu": expected}
    limits_spec: PodSpec = {
        "initContainers": [_as_limits(c) for c in init],
        "containers": [_as_limits(c) for c in apps],
    }
    assert text(pod_limits(limits_spec)) == {"cpu": expected}


def _as_limits(container: Container) -> Container:
    moved = container.copy()
    moved["resources"] = {"limits": container["resources"]["requests"]}
    return moved


def test_each_resource_takes_its_own_maximum() -> None:
    spec: PodSpec = {
        "initContainers": [ctr("i", {"cpu": "2", "memory": "64Mi"})],
        "containers": [ctr("a", {"cpu": "1", "memory": "1Gi"})],
    }
    assert text(pod_requests(spec)) == {"cpu": "2", "memory": "1Gi"}


def test_sidecar_and_init_on_separate_resources() -> None:
    spec: PodSpec = {
        "initContainers": [
            sidecar("s", {"memory": "5Mi", "cpu": "4m"}),
            ctr("i", {"memory": "6Mi", "cpu": "8m"}),
        ],
        "containers": [ctr("a", {"memory": "3Mi", "cpu": "2m"})],
    }
    assert text(pod_requests(spec)) == {"memory": "11Mi", "cpu": "12m"}


def test_pod_level_resources_replace_cpu_and_memory_only() -> None:
    spec: PodSpec = {
        "resources": {
            "requests": {"cpu": "18m", "memory": "15Mi", "ephemeral-storage": "9Gi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
        "initContainers": [sidecar("s", {"memory": "5Mi", "cpu": "4m"})],
        "containers": [ctr("a", {"memory": "3Mi", "cpu": "2m", "ephemeral-storage": "1Gi"})],
    }
    assert text(pod_requests(spec)) == {"cpu": "18m", "memory": "15Mi", "ephemeral-storage": "1Gi"}
    assert text(pod_limits(spec)) == {"cpu": "1", "memory": "1Gi"}


def test_pod_level_resources_add_missing_cpu_memory_and_hugepages() -> None:
    spec: PodSpec = {
        "resources": {"requests": {"memory": "2Mi", "hugepages-2Mi": "4Mi", "storage": "2Mi"}},
        "containers": [ctr("a", {"cpu": "2m", "storage": "3Mi"})],
    }
    assert text(pod_requests(spec)) == {
        "cpu": "2m",
        "memory": "2Mi",
        "hugepages-2Mi": "4Mi",
        "storage": "3Mi",
    }
    assert pod_limits(spec) == {}


FIVE = {"cpu": "5", "memory": "5"}


@pytest.mark.parametrize(
    ("resources", "overhead", "requests", "limits"),
    [
        ({"limits": {"cpu": "9"}}, None, {}, {"cpu": "9"}),
        ({}, FIVE, FIVE, {}),
        ({"requests": {"cpu": "1", "memory": "10"}}, FIVE, {"cpu": "6", "memory": "15"}, {}),
        (
            {"requests": {"cpu": "1", "memory": "10"}, "limits": {"cpu": "2", "memory": "12"}},
            FIVE,
            {"cpu": "6", "memory": "15"},
            {"cpu": "7", "memory": "17"},
        ),
        (
            {"requests": {"cpu": "1", "memory": "10"}, "limits": {"cpu": "2"}},
            FIVE,
            {"cpu": "6", "memory": "15"},
            {"cpu": "7"},
        ),
    ],
)
def test_overhead_adds_to_requests_but_only_to_set_limits(
    resources: ResourceRequirements, overhead: Any, requests: dict, limits: dict
) -> None:
    spec: PodSpec = {"containers": [{"name": "foo", "resources": resources}], "overhead": overhead}
    assert text(pod_requests(spec)) == requests
    assert text(pod_limits(spec)) == limits


def test_overhead_skips_a_zero_limit() -> None:
    spec: PodSpec = {"containers": [ctr("a", limits={"cpu": "0"})], "overhead": {"cpu": "250m"}}
    assert text(pod_limits(spec)) == {"cpu": "0"}
    assert text(pod_requests(spec)) == {"cpu": "250m"}


def test_extended_resources_follow_the_same_rules() -> None:
    spec: PodSpec = {
        "initContainers": [ctr("warmup", {"nvidia.com/gpu": "4"}, {"nvidia.com/gpu": "4"})],
        "containers": [
            ctr("trainer", {"cpu": "2", "nvidia.com/gpu": "2"}, {"nvidia.com/gpu": "2"}),
            ctr("logger", {"cpu": "100m"}),
        ],
    }
    assert text(pod_requests(spec)) == {"cpu": "2100m", "nvidia.com/gpu": "4"}
    assert text(pod_limits(spec)) == {"nvidia.com/gpu": "4"}


def test_missing_limits_mean_unlimited_not_zero() -> None:
    # PodLimits sums whatever limits exist; a container without one adds nothing.
    spec: PodSpec = {
        "initContainers": [ctr("init", limits={"memory": "1Gi"}), ctr("plain")],
        "containers": [ctr("limited", {"cpu": "1"}, {"cpu": "2"}), ctr("unlimited", {"cpu": "1"})],
    }
    assert text(pod_limits(spec)) == {"cpu": "2", "memory": "1Gi"}
    assert pod_limits({"containers": [ctr("a"), ctr("b", {"cpu": "1"})]}) == {}


def test_empty_and_null_fields() -> None:
    assert pod_requests({}) == {}
    spec: Any = {"containers": [{"name": "a", "resources": None}], "initContainers": None}
    assert pod_requests(spec) == pod_limits(spec) == {}
    # A null quantity decodes to zero in Go, and the entry still counts as set.
    assert text(pod_requests({"containers": [ctr("a", {"cpu": None})]})) == {"cpu": "0"}


def test_formats_follow_kubernetes_addition() -> None:
    spec: PodSpec = {"containers": [ctr("a", {"memory": "1000"}), ctr("b", {"memory": "1Gi"})]}
    # The first container's DecimalSI format wins, so the sum prints in decimal.
    assert text(pod_requests(spec)) == {"memory": "1073742824"}
    spec = {"containers": [ctr("a", {"memory": "1Gi"}), ctr("b", {"memory": "1Gi"})]}
    assert text(pod_requests(spec)) == {"memory": "2Gi"}


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"containers": [ctr("app", {"cpu": "1 core"})]},
         "container 'app' resources.requests['cpu']"),
        ({"initContainers": [ctr("init", limits={"nvidia.com/gpu": "x"})]},
         "container 'init' resources.limits['nvidia.com/gpu']"),
        ({"overhead": {"memory": "1GB"}}, "spec.overhead['memory']"),
        ({"resources": {"requests": {"cpu": ""}}}, "spec.resources.requests['cpu']"),
        ({"containers": [ctr("app", ["cpu"])]}, "container 'app' resources.requests"),
        ({"containers": "app"}, "spec.containers"),
    ],
)  # fmt: skip
def test_malformed_input_names_container_and_resource(spec: PodSpec, where: str) -> None:
    with pytest.raises(QuantityError) as info:
        _requests_and_limits(spec)
    assert str(info.value).startswith(where)


def _requests_and_limits(spec: PodSpec) -> None:
    pod_requests(spec)
    pod_limits(spec)


def test_default_requests_from_limits() -> None:
    container = ctr("a", {"cpu": "100m"}, {"cpu": "500m", "memory": "512Mi"})
    resources = default_requests_from_limits(container)
    assert resources == {
        "requests": {"cpu": "100m", "memory": "512Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert container["resources"]["requests"] == {"cpu": "100m"}  # input untouched
    only_limits = default_requests_from_limits(ctr("b", limits={"nvidia.com/gpu": "1"}))
    assert only_limits["requests"] == {"nvidia.com/gpu": "1"}
    assert default_requests_from_limits({"name": "c"}) == {}
    claims: Any = {"resources": {"claims": [{"name": "gpu"}], "requests": {"cpu": "1"}}}
    assert default_requests_from_limits(claims) == claims["resources"]
