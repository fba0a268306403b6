"""ResourceQuota scopes and per-object usage, checked against the Kubernetes evaluators."""

from __future__ import annotations

from typing import Any, Unpack

import pytest

from exporter.model.bodies import (
    Affinity,
    Container,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PodSpec,
    ResourceQuotaSpec,
    ResourceRequirements,
    ScopedResourceSelectorRequirement,
)
from exporter.model.quantities import parse_quantity
from exporter.model.quotas import (
    COMPUTE_KEYS,
    PodScopeFacts,
    is_compute_key,
    is_extended_resource,
    is_terminal,
    matches_scopes,
    pod_quota_usage,
    pod_scope_facts,
    pod_tracks_key,
    pvc_quota_usage,
    pvc_tracks_key,
    render_scopes,
    sum_usage,
)


def q(text: str):
    return parse_quantity(text)


def as_text(usage: dict) -> dict[str, str]:
    return {key: str(value) for key, value in usage.items()}


def container(name: str, requests: Any = None, limits: Any = None) -> Container:
    resources: ResourceRequirements = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "busybox", "resources": resources}


# -- scope facts --------------------------------------------------------------------------


def test_facts_of_a_plain_pod() -> None:
    spec: PodSpec = {"containers": [container("app", {"cpu": "100m"})]}
    assert pod_scope_facts(spec) == PodScopeFacts(
        terminating=False, best_effort=False, priority_class="", cross_namespace_affinity=False
    )


@pytest.mark.parametrize(("deadline", "terminating"), [(None, False), (0, True), (3600, True)])
def test_terminating_means_an_active_deadline(deadline: int | None, terminating: bool) -> None:
    spec: Any = {"containers": [container("job")], "activeDeadlineSeconds": deadline}  # or null
    assert pod_scope_facts(spec).terminating is terminating


@pytest.mark.parametrize(
    ("spec", "best_effort"),
    [
        ({"containers": [container("a")]}, True),
        # Zero values and non-QoS resources leave a pod BestEffort.
        ({"containers": [container("a", {"cpu": "0", "ephemeral-storage": "1Gi"})]}, True),
        ({"containers": [container("a", {"nvidia.com/gpu": 1})]}, True),
        ({"containers": [container("a", limits={"memory": "64Mi"})]}, False),
        ({"containers": [container("a")], "initContainers": [container("i", {"cpu": 1})]}, False),
        # Pod-level resources, when present, decide on their own.
        ({"containers": [container("a", {"cpu": 1})], "resources": {}}, True),
        ({"containers": [container("a")], "resources": {"limits": {"cpu": "1"}}}, False),
    ],
)
def test_best_effort_follows_qos(spec: PodSpec, best_effort: bool) -> None:
    assert pod_scope_facts(spec).best_effort is best_effort


@pytest.mark.parametrize(
    ("affinity", "cross"),
    [
        ({}, False),
        ({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{}]}}, False),
        (
            {
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{"namespaces": ["b"]}]
                }
            },
            True,
        ),
        (
            {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "podAffinityTerm": {"namespaceSelector": {}}}
                    ]
                }
            },
            True,
        ),
    ],
)
def test_cross_namespace_affinity(affinity: Affinity, cross: bool) -> None:
    spec: PodSpec = {"containers": [container("a")], "affinity": affinity}
    assert pod_scope_facts(spec).cross_namespace_affinity is cross


# -- scope matching -----------------------------------------------------------------------

RUNNING_HIGH = PodScopeFacts(
    terminating=False, best_effort=False, priority_class="high", cross_namespace_affinity=False
)
JOB_NO_CLASS = PodScopeFacts(
    terminating=True, best_effort=True, priority_class="", cross_namespace_affinity=True
)


def expr(
    operator: str, *values: str, scope: str = "PriorityClass"
) -> ScopedResourceSelectorRequirement:
    out: ScopedResourceSelectorRequirement = {"scopeName": scope, "operator": operator}
    if values:
        out["values"] = list(values)
    return out


@pytest.mark.parametrize(
    ("quota_spec", "running_high", "job_no_class"),
    [
        ({}, True, True),
        ({"scopes": ["Terminating"]}, False, True),
        ({"scopes": ["NotTerminating"]}, True, False),
        ({"scopes": ["BestEffort"]}, False, True),
        ({"scopes": ["NotBestEffort"]}, True, False),
        ({"scopes": ["CrossNamespacePodAffinity"]}, False, True),
        ({"scopes": ["PriorityClass"]}, True, False),
        ({"scopes": ["NotTerminating", "BestEffort"]}, False, False),
        ({"scopeSelector": {"matchExpressions": [expr("In", "high", "low")]}}, True, False),
        ({"scopeSelector": {"matchExpressions": [expr("NotIn", "high")]}}, False, True),
        ({"scopeSelector": {"matchExpressions": [expr("NotIn", "low")]}}, True, True),
        ({"scopeSelector": {"matchExpressions": [expr("Exists")]}}, True, False),
        ({"scopeSelector": {"matchExpressions": [expr("DoesNotExist")]}}, False, True),
        (
            {
                "scopes": ["NotTerminating"],
                "scopeSelector": {"matchExpressions": [expr("In", "high")]},
            },
            True,
            False,
        ),
        # A scope the pod evaluator does not know selects no pod.
        ({"scopeSelector": {"matchExpressions": [expr("Exists", scope="Other")]}}, False, False),
    ],
)
def test_matches_scopes(
    quota_spec: ResourceQuotaSpec, running_high: bool, job_no_class: bool
) -> None:
    assert matches_scopes(quota_spec, RUNNING_HIGH) is running_high
    assert matches_scopes(quota_spec, JOB_NO_CLASS) is job_no_class


def test_render_scopes() -> None:
    spec: ResourceQuotaSpec = {
        "scopes": ["NotTerminating", "NotBestEffort"],
        "scopeSelector": {"matchExpressions": [expr("In", "high", "low"), expr("Exists")]},
    }
    assert render_scopes(spec) == (
        "NotTerminating,NotBestEffort,PriorityClass In (high,low),PriorityClass Exists"
    )
    assert render_scopes({"hard": {"pods": "1"}}) == ""


# -- pod usage ----------------------------------------------------------------------------


def test_pod_usage_charges_every_pod_key() -> None:
    requests = {
        "cpu": q("100m"),
        "memory": q("128Mi"),
        "ephemeral-storage": q("1Gi"),
        "nvidia.com/gpu": q("2"),
        "hugepages-2Mi": q("4Mi"),
    }
    limits = {"cpu": q("500m"), "memory": q("512Mi"), "nvidia.com/gpu": q("2")}
    assert as_text(pod_quota_usage(requests, limits)) == {
        "pods": "1",
        "count/pods": "1",
        "cpu": "100m",
        "requests.cpu": "100m",
        "limits.cpu": "500m",
        "memory": "128Mi",
        "requests.memory": "128Mi",
        "limits.memory": "512Mi",
        "ephemeral-storage": "1Gi",
        "requests.ephemeral-storage": "1Gi",
        # Extended resources are quota'd only as requests.<name>.
        "requests.nvidia.com/gpu": "2",
        "hugepages-2Mi": "4Mi",
        "requests.hugepages-2Mi": "4Mi",
    }


def test_pod_without_resources_charges_only_counts() -> None:
    assert as_text(pod_quota_usage({}, {})) == {"pods": "1", "count/pods": "1"}


def test_compute_keys() -> None:
    assert "requests.cpu" in COMPUTE_KEYS
    assert "pods" in COMPUTE_KEYS
    assert "count/pods" not in COMPUTE_KEYS
    assert "requests.storage" not in COMPUTE_KEYS
    assert is_compute_key("requests.nvidia.com/gpu")
    assert is_compute_key("limits.memory")
    assert not is_compute_key("count/pods")
    assert not is_compute_key("requests.storage")


@pytest.mark.parametrize(
    ("key", "tracked"),
    [
        ("pods", True),
        ("count/pods", True),
        ("requests.cpu", True),
        ("limits.ephemeral-storage", True),
        ("requests.nvidia.com/gpu", True),
        ("limits.nvidia.com/gpu", False),
        ("nvidia.com/gpu", False),
        ("requests.hugepages-2Mi", True),
        ("hugepages-1Gi", True),
        ("requests.storage", False),
        ("count/deployments.apps", False),
    ],
)
def test_pod_tracks_key(key: str, tracked: bool) -> None:
    assert pod_tracks_key(key) is tracked


@pytest.mark.parametrize(
    ("name", "extended"),
    [
        ("nvidia.com/gpu", True),
        ("cpu", False),
        ("kubernetes.io/foo", False),
        ("requests.nvidia.com/gpu", False),
    ],
)
def test_is_extended_resource(name: str, extended: bool) -> None:
    assert is_extended_resource(name) is extended


@pytest.mark.parametrize(
    ("phase", "terminal"),
    [("Succeeded", True), ("Failed", True), ("Running", False), ("Pending", False), (None, False)],
)
def test_is_terminal(phase: str | None, terminal: bool) -> None:
    assert is_terminal(phase) is terminal


def test_sum_keeps_the_format_of_the_first_nonzero_value() -> None:
    total = sum_usage([{"memory": q("0")}, {"memory": q("128Mi")}, {"memory": q("128Mi")}])
    assert as_text(total) == {"memory": "256Mi"}
    assert as_text(sum_usage([{"cpu": q("500m")}, {"cpu": q("500m")}])) == {"cpu": "1"}


# -- PVC usage ----------------------------------------------------------------------------


def pvc(
    storage: str | None = "10Gi", **spec: Unpack[PersistentVolumeClaimSpec]
) -> PersistentVolumeClaim:
    body: PersistentVolumeClaim = {"metadata": {"name": "data"}, "spec": {**spec}}
    if storage is not None:
        body["spec"]["resources"] = {"requests": {"storage": storage}}
    return body


def test_pvc_usage_with_storage_class() -> None:
    assert as_text(pvc_quota_usage(pvc("10Gi", storageClassName="gold"))) == {
        "persistentvolumeclaims": "1",
        "count/persistentvolumeclaims": "1",
        "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
        "requests.storage": "10Gi",
        "gold.storageclass.storage.k8s.io/requests.storage": "10Gi",
    }


def test_pvc_usage_without_class_or_request() -> None:
    assert as_text(pvc_quota_usage(pvc(None))) == {
        "persistentvolumeclaims": "1",
        "count/persistentvolumeclaims": "1",
    }


def test_pvc_beta_annotation_wins_over_spec_class() -> None:
    claim = pvc("1Gi", storageClassName="gold")
    claim["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "bronze"}
    usage = as_text(pvc_quota_usage(claim))
    assert usage["bronze.storageclass.storage.k8s.io/requests.storage"] == "1Gi"
    assert "gold.storageclass.storage.k8s.io/requests.storage" not in usage


def test_pvc_charges_the_larger_allocation_rounded_to_bytes() -> None:
    claim = pvc("1Gi")
    claim["status"] = {"allocatedResources": {"storage": "2Gi"}}
    assert str(pvc_quota_usage(claim)["requests.storage"]) == "2Gi"
    assert str(pvc_quota_usage(pvc("1500m"))["requests.storage"]) == "2"


@pytest.mark.parametrize(
    ("key", "tracked"),
    [
        ("persistentvolumeclaims", True),
        ("count/persistentvolumeclaims", True),
        ("requests.storage", True),
        ("gold.storageclass.storage.k8s.io/requests.storage", True),
        ("gold.storageclass.storage.k8s.io/persistentvolumeclaims", True),
        ("requests.cpu", False),
    ],
)
def test_pvc_tracks_key(key: str, tracked: bool) -> None:
    assert pvc_tracks_key(key) is tracked
