"""Records decoded from literal API bodies: what they keep, what they share, what fails."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exporter.model.bodies import Namespace, PersistentVolumeClaim, Pod, PodSpec, ResourceQuota
from exporter.model.compact import resource_value
from exporter.model.quotas import PodScopeFacts
from exporter.model.records import (
    Container,
    DecodeError,
    decode_limitrange,
    decode_namespace,
    decode_node,
    decode_pod,
    decode_pvc,
    decode_quota,
    object_key,
)

GI = 2**30 * 10**9  # nanos in one GiB
M = 10**6  # nanos in one millicore


def pod(
    name: str = "p",
    *,
    phase: str | None = "Running",
    labels: dict[str, str] | None = None,
    spec: PodSpec | None = None,
) -> Pod:
    body: Pod = {
        "metadata": {"name": name, "namespace": "dev", "uid": "u-1", "labels": labels or {}},
        "spec": spec
        or {
            "containers": [
                {
                    "name": "app",
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                    },
                }
            ]
        },
    }
    if phase is not None:
        body["status"] = {"phase": phase}
    return body


def test_pod_keeps_effective_resources_and_placement() -> None:
    spec: PodSpec = {
        "nodeName": "worker-1",
        "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "1"}}}],
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}}},
            {"name": "b"},
        ],
        "overhead": {"cpu": "10m"},
    }
    record = decode_pod(pod(spec=spec))
    assert (record.namespace, record.name, record.uid, record.phase, record.node) == (
        "dev",
        "p",
        "u-1",
        "Running",
        "worker-1",
    )
    # max(app sum 200m, init 1) + overhead 10m
    assert record.requests == (("cpu", 1010 * M), ("memory", GI))
    assert record.limits == ()
    assert record.containers == (
        Container("a", (("cpu", 200 * M), ("memory", GI)), ()),
        Container("b", (), ()),
        Container("init", (("cpu", 1000 * M),), ()),
    )
    assert record.scope == PodScopeFacts(False, False, "", False)
    assert not record.terminal


def test_pod_without_status_is_pending_and_terminal_phases_are_terminal() -> None:
    assert decode_pod(pod(phase=None)).phase == "Pending"
    assert decode_pod(pod(phase="Succeeded")).terminal
    assert decode_pod(pod(phase="Failed")).terminal


def test_pod_team_and_vcluster_labels() -> None:
    labels = {
        "owner": "web",
        "team": "",
        "vcluster.loft.sh/managed-by": "sandbox",
        "vcluster.loft.sh/namespace": "frontend",
    }
    record = decode_pod(pod(labels=labels), team_labels=("team", "owner"))
    assert (record.team, record.vcluster, record.virtual_namespace) == (
        "web",
        "sandbox",
        "frontend",
    )
    plain = decode_pod(pod())
    assert (plain.team, plain.vcluster, plain.virtual_namespace) == (None, None, None)


def test_pods_of_one_template_share_their_tuples() -> None:
    first, second = decode_pod(pod("a")), decode_pod(pod("b"))
    assert first.requests is second.requests
    assert first.containers is second.containers
    assert first.scope is second.scope
    assert first.namespace is second.namespace


@pytest.mark.parametrize(
    "spec",
    [
        {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1x"}}}]},
        {"containers": [{"name": "a", "resources": {"limits": {"memory": "lots"}}}]},
        {"containers": "not a list"},
        {"containers": [{"name": "a", "resources": ["cpu"]}]},
        {"overhead": {"cpu": "--1"}},
        {"activeDeadlineSeconds": "soon"},
    ],
)
def test_malformed_pods_raise_decode_error(spec: Any) -> None:
    with pytest.raises(DecodeError, match="pod dev/p"):
        decode_pod(pod(spec=spec))


@pytest.mark.parametrize(
    "body", [{}, {"metadata": None}, {"metadata": {"name": ""}}, {"metadata": {"name": 3}}, []]
)
def test_objects_without_a_name_raise_decode_error(body: object) -> None:
    with pytest.raises(DecodeError):
        object_key(body)  # type: ignore[arg-type]  # not an object body, on purpose


def quota(*, spec: Any, status: Any = None) -> ResourceQuota:
    body: ResourceQuota = {"metadata": {"name": "q", "namespace": "dev"}, "spec": spec}
    if status is not None:
        body["status"] = status
    return body


def test_quota_reads_status_not_spec() -> None:
    record = decode_quota(
        quota(
            spec={"hard": {"requests.cpu": "4", "pods": "10"}},
            status={
                "hard": {"requests.cpu": "2", "pods": "10"},
                "used": {"requests.cpu": "250m", "pods": "3"},
            },
        )
    )
    assert record.hard == (("pods", 10 * 10**9), ("requests.cpu", 2 * 10**9))
    assert record.used == (("pods", 3 * 10**9), ("requests.cpu", 250 * M))
    assert record.hard_keys() == ("pods", "requests.cpu")


def test_quota_falls_back_to_spec_hard_only_while_status_hard_is_absent() -> None:
    fresh = decode_quota(quota(spec={"hard": {"requests.cpu": "4"}}))
    assert fresh.hard == (("requests.cpu", 4 * 10**9),)
    assert fresh.used == ()
    emptied = decode_quota(quota(spec={"hard": {"requests.cpu": "4"}}, status={"hard": {}}))
    assert emptied.hard == ()


def test_quota_scopes_are_rendered_and_select_pods() -> None:
    record = decode_quota(
        quota(
            spec={
                "hard": {"pods": "5"},
                "scopes": ["NotTerminating"],
                "scopeSelector": {
                    "matchExpressions": [
                        {
                            "scopeName": "PriorityClass",
                            "operator": "In",
                            "values": ["high", "urgent"],
                        }
                    ]
                },
            }
        )
    )
    assert record.scopes == "NotTerminating,PriorityClass In (high,urgent)"
    assert record.selects(PodScopeFacts(False, False, "high", False))
    assert not record.selects(PodScopeFacts(False, False, "low", False))
    assert not record.selects(PodScopeFacts(True, False, "high", False))
    unscoped = decode_quota(quota(spec={"hard": {"pods": "5"}}))
    assert unscoped.scopes == ""
    assert unscoped.selects(PodScopeFacts(True, True, "", True))


def test_quota_with_a_malformed_quantity_raises() -> None:
    with pytest.raises(DecodeError, match=r"resourcequota dev/q: requests\.cpu"):
        decode_quota(quota(spec={}, status={"hard": {"requests.cpu": "two"}}))


def test_limitrange_items_are_flattened() -> None:
    record = decode_limitrange(
        {
            "metadata": {"name": "dev-limits", "namespace": "dev"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "250m"},
                        "min": {"memory": "32Mi"},
                        "maxLimitRequestRatio": {"cpu": "4"},
                    },
                    {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}},
                ]
            },
        }
    )
    assert record.items == (
        ("Container", "memory", "min", 32 * 2**20 * 10**9),
        ("Container", "cpu", "default", 250 * M),
        ("Container", "cpu", "maxLimitRequestRatio", 4 * 10**9),
        ("PersistentVolumeClaim", "storage", "max", 10 * GI),
    )
    with pytest.raises(DecodeError, match="limitrange dev/bad"):
        decode_limitrange(
            {
                "metadata": {"name": "bad", "namespace": "dev"},
                "spec": {"limits": [{"type": "Container", "max": {"cpu": "x"}}]},
            }
        )


def test_node_keeps_labels_capacity_and_allocatable() -> None:
    record = decode_node(
        {
            "metadata": {
                "name": "gpu-1",
                "labels": {"node.kubernetes.io/instance-type": "g5.xlarge"},
            },
            "status": {
                "capacity": {"cpu": "4", "nvidia.com/gpu": "1"},
                "allocatable": {"cpu": "3920m"},
            },
        }
    )
    assert record.labels == (("node.kubernetes.io/instance-type", "g5.xlarge"),)
    assert resource_value(record.capacity, "nvidia.com/gpu") == 10**9
    assert resource_value(record.allocatable, "cpu") == 3920 * M
    assert resource_value(record.allocatable, "memory") is None


def test_pvc_class_and_requested_bytes() -> None:
    body: PersistentVolumeClaim = {
        "metadata": {
            "name": "data",
            "namespace": "dev",
            "annotations": {"volume.beta.kubernetes.io/storage-class": "legacy"},
        },
        "spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "1.5k"}}},
        "status": {"phase": "Bound", "allocatedResources": {"storage": "1Ki"}},
    }
    record = decode_pvc(body)
    assert (record.storage_class, record.requested_bytes, record.phase) == ("legacy", 1500, "Bound")
    no_request = decode_pvc({"metadata": {"name": "x", "namespace": "dev"}, "spec": {}})
    assert (no_request.storage_class, no_request.requested_bytes) == ("", None)


def test_namespace_keeps_only_the_keys_asked_for_and_its_budget() -> None:
    body: Namespace = {
        "metadata": {
            "name": "ml",
            "labels": {"team": "ml", "env": "prod", "owner": "x"},
            "annotations": {"quotameter.io/monthly-budget": " 1500.50 ", "cost-center": "cc-7"},
        }
    }
    record = decode_namespace(body, label_keys=("team",), annotation_keys=("cost-center",))
    assert record.labels == (("team", "ml"),)
    assert record.annotations == (("cost-center", "cc-7"),)
    assert record.monthly_budget == Decimal("1500.50")
    assert not record.budget_invalid


@pytest.mark.parametrize("budget", ["lots", "-5", "Infinity", "NaN"])
def test_a_malformed_budget_keeps_the_namespace(budget: str) -> None:
    body: Namespace = {
        "metadata": {
            "name": "ml",
            "labels": {"team": "ml"},
            "annotations": {"quotameter.io/monthly-budget": budget},
        }
    }
    record = decode_namespace(body)
    assert (record.labels, record.monthly_budget, record.budget_invalid) == (
        (("team", "ml"),),
        None,
        True,
    )
