"""Effective pod requests and limits (sidecars, init containers, pod-level resources,
overhead) as quota and LimitRanger sum them, the QoS class, and the quota scopes."""

from __future__ import annotations

import pytest

from quotasim.podresources import LIMIT_RANGER, QUOTA, pod_limits, pod_requests
from quotasim.qos import qos_class
from quotasim.quota.evaluators import PodEvaluator
from quotasim.quota.scopes import pod_in_scope


def c(name: str, cpu: str, *, limit: str | None = None, sidecar: bool = False) -> dict:
    resources: dict = {"requests": {"cpu": cpu}}
    if limit:
        resources["limits"] = {"cpu": limit}
    return {
        "name": name,
        "resources": resources,
        **({"restartPolicy": "Always"} if sidecar else {}),
    }


def text(resources: dict) -> dict[str, str]:
    return {name: str(q) for name, q in resources.items()}


def test_sidecars_run_beside_the_app_and_the_init_containers_after_them() -> None:
    spec = {
        "initContainers": [c("init-1", "2"), c("mesh", "300m", sidecar=True), c("init-2", "1")],
        "containers": [c("app", "500m")],
    }
    # max(app 500m + mesh 300m, init-1 2, init-2 1 + mesh 300m)
    assert text(pod_requests(spec)) == {"cpu": "2"}
    spec["initContainers"][0] = c("init-1", "1")
    assert text(pod_requests(spec)) == {"cpu": "1300m"}


def test_pod_level_resources_and_overhead() -> None:
    spec = {
        "containers": [c("app", "500m", limit="1")],
        "resources": {"requests": {"cpu": "2", "hugepages-2Mi": "4Mi"}, "limits": {"cpu": "3"}},
        "overhead": {"cpu": "250m", "memory": "64Mi"},
    }
    assert text(pod_requests(spec, QUOTA)) == {
        "cpu": "2250m",
        "hugepages-2Mi": "4Mi",
        "memory": "64Mi",
    }
    assert text(pod_limits(spec, QUOTA)) == {"cpu": "3250m"}  # no memory limit: none added
    assert text(pod_requests(spec, LIMIT_RANGER)) == {"cpu": "2"}
    assert text(pod_limits(spec, LIMIT_RANGER)) == {"cpu": "3"}


@pytest.mark.parametrize(
    ("spec", "qos"),
    [
        ({"containers": [{"name": "a"}]}, "BestEffort"),
        ({"containers": [{"name": "a", "resources": {"requests": {"cpu": "0"}}}]}, "BestEffort"),
        ({"containers": [c("a", "1")]}, "Burstable"),
        (
            {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]},
            "Burstable",  # limits alone (before the API defaults requests from them)
        ),
        (
            {
                "containers": [
                    {
                        "name": "a",
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                    }
                ]
            },
            "Guaranteed",
        ),
        ({"containers": [c("a", "1")], "resources": {}}, "BestEffort"),  # pod level decides
    ],
)
def test_qos_class(spec: dict, qos: str) -> None:
    assert qos_class(spec) == qos


def test_scopes_select_pods() -> None:
    job = {"spec": {"activeDeadlineSeconds": 60, "containers": [c("a", "1")]}}
    web = {"spec": {"priorityClassName": "high", "containers": [{"name": "w"}]}}
    terminating = {"spec": {"scopes": ["Terminating", "NotBestEffort"]}}
    high = {
        "spec": {
            "scopeSelector": {
                "matchExpressions": [
                    {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
                ]
            }
        }
    }
    assert [pod_in_scope(terminating, p) for p in (job, web)] == [True, False]
    assert [pod_in_scope(high, p) for p in (job, web)] == [False, True]


def test_pod_usage_keys() -> None:
    pod = {
        "spec": {
            "containers": [
                {
                    "name": "t",
                    "resources": {
                        "requests": {"cpu": "1", "nvidia.com/gpu": "2", "hugepages-1Gi": "2Gi"},
                        "limits": {"nvidia.com/gpu": "2", "memory": "1Gi"},
                    },
                }
            ]
        }
    }
    assert text(PodEvaluator().usage(pod)) == {
        "count/pods": "1",
        "pods": "1",
        "cpu": "1",
        "requests.cpu": "1",
        "requests.nvidia.com/gpu": "2",
        "hugepages-1Gi": "2Gi",
        "requests.hugepages-1Gi": "2Gi",
        "limits.memory": "1Gi",
    }
    assert text(PodEvaluator().usage({**pod, "status": {"phase": "Failed"}})) == {"count/pods": "1"}
