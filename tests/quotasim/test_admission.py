"""LimitRanger and ResourceQuota admission, and the quota controller's status.used."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from quotasim.admission import AdmissionError
from quotasim.admission.limitranger import (
    apply_limitrange_defaults,
    container_defaults,
    validate_limitranges,
)
from quotasim.admission.resourcequota import check_quotas
from quotasim.quota.recount import quota_used

DEV_HARD = {
    "requests.cpu": "2",
    "requests.memory": "2Gi",
    "limits.cpu": "4",
    "limits.memory": "4Gi",
    "pods": "20",
    "requests.storage": "10Gi",
}

DEV_LIMITS = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "dev-limits", "namespace": "dev"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "250m", "memory": "256Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "max": {"cpu": "500m", "memory": "512Mi"},
                "min": {"cpu": "10m", "memory": "32Mi"},
            }
        ]
    },
}


def quota(name: str, hard: dict, used: dict | None = None, **spec: object) -> dict:
    body = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": "dev"},
        "spec": {"hard": hard, **spec},
    }
    if used is not None:
        body["status"] = {"hard": dict(hard), "used": used}
    return body


def pod(name: str, *containers: dict, phase: str | None = None, **spec: object) -> dict:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "dev"},
        "spec": {"containers": list(containers), **spec},
    }
    if phase is not None:
        body["status"] = {"phase": phase}
    return body


def container(name: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "ghcr.io/example/agent:1.0", "resources": resources}


def agent_api(suffix: str) -> dict:
    app = container("api", {"cpu": "100m", "memory": "128Mi"}, {"cpu": "500m", "memory": "512Mi"})
    return pod(f"agent-api-7d9f8b6c4-{suffix}", app, phase="Running")


def refused(call, *args) -> AdmissionError:
    with pytest.raises(AdmissionError) as caught:
        call(*args)
    return caught.value


# -- the reference scenario -----------------------------------------------------------------

REFERENCE_USED = {
    "requests.cpu": "200m",
    "requests.memory": "256Mi",
    "limits.cpu": "1",
    "limits.memory": "1Gi",
    "pods": "2",
    "requests.storage": "0",
}


def test_reference_dev_quota_used() -> None:
    used = quota_used(
        quota("dev-quota", DEV_HARD),
        pods=[agent_api("x2x9z"), agent_api("k4m2p")],
        pvcs=[],
        object_counts={"count/deployments.apps": 1},
    )
    assert used == REFERENCE_USED


def test_reference_agent_worker_gets_defaults_and_is_charged() -> None:
    worker = pod("agent-worker", {"name": "worker", "image": "ghcr.io/example/worker:1.0"})
    apply_limitrange_defaults(worker, [DEV_LIMITS])
    assert worker["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "250m", "memory": "256Mi"},
    }
    assert worker["metadata"]["annotations"] == {
        "kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu, memory request for "
        "container worker; cpu, memory limit for container worker"
    }
    validate_limitranges("Pod", worker, [DEV_LIMITS])
    dev_quota = quota("dev-quota", DEV_HARD, REFERENCE_USED)
    assert check_quotas("Pod", worker, [dev_quota]) == {
        "dev-quota": {
            "requests.cpu": "300m",
            "requests.memory": "384Mi",
            "limits.cpu": "1250m",
            "limits.memory": "1280Mi",
            "pods": "3",
            "requests.storage": "0",
        }
    }
    # The controller, recounting afterwards, agrees with what admission charged.
    running = [agent_api("x2x9z"), agent_api("k4m2p"), worker]
    assert quota_used(dev_quota, pods=running, pvcs=[], object_counts={}) == {
        "requests.cpu": "300m",
        "requests.memory": "384Mi",
        "limits.cpu": "1250m",
        "limits.memory": "1280Mi",
        "pods": "3",
        "requests.storage": "0",
    }


def test_reference_worker_over_quota_is_refused_with_the_real_message() -> None:
    full = {**REFERENCE_USED, "requests.cpu": "2"}
    defaulted = container(
        "worker", {"cpu": "100m", "memory": "128Mi"}, {"cpu": "250m", "memory": "256Mi"}
    )
    worker = pod("agent-worker", defaulted)
    error = refused(check_quotas, "Pod", worker, [quota("dev-quota", DEV_HARD, full)])
    assert error.message == (
        'pods "agent-worker" is forbidden: exceeded quota: dev-quota, '
        "requested: requests.cpu=100m, used: requests.cpu=2, limited: requests.cpu=2"
    )
    assert (error.code, error.reason) == (403, "Forbidden")
    assert error.details == {"name": "agent-worker", "kind": "pods"}
    assert error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message,
        "reason": "Forbidden",
        "details": {"name": "agent-worker", "kind": "pods"},
        "code": 403,
    }


# -- ResourceQuota admission ---------------------------------------------------------------


def test_every_exceeded_key_is_listed_sorted() -> None:
    hard = {"requests.cpu": "1", "requests.memory": "1Gi", "pods": "5"}
    used = {"requests.cpu": "1", "requests.memory": "1Gi", "pods": "1"}
    big = pod("big", container("c", {"cpu": "2", "memory": "1.5Gi"}))
    error = refused(check_quotas, "Pod", big, [quota("q", hard, used)])
    assert error.message == (
        'pods "big" is forbidden: exceeded quota: q, '
        "requested: requests.cpu=2,requests.memory=1536Mi, "
        "used: requests.cpu=1,requests.memory=1Gi, "
        "limited: requests.cpu=1,requests.memory=1Gi"
    )


def test_missing_limits_fail_the_quota_constraint() -> None:
    hard = {"limits.cpu": "4", "limits.memory": "4Gi", "requests.cpu": "2"}
    used = {"limits.cpu": "0", "limits.memory": "0", "requests.cpu": "0"}
    bare = pod(
        "x",
        container("x", {"cpu": "100m"}),
        container("b", {"cpu": "100m"}, {"cpu": "1", "memory": "1Gi"}),
        initContainers=[container("init", {"cpu": "100m"}, {"cpu": "1"})],
    )
    error = refused(check_quotas, "Pod", bare, [quota("dev-quota", hard, used)])
    assert error.message == (
        'pods "x" is forbidden: failed quota: dev-quota: '
        "must specify limits.cpu for: x; limits.memory for: init,x"
    )


def test_reference_worker_without_limitrange_must_specify_everything() -> None:
    worker = pod("agent-worker", {"name": "worker", "image": "ghcr.io/example/worker:1.0"})
    error = refused(check_quotas, "Pod", worker, [quota("dev-quota", DEV_HARD, REFERENCE_USED)])
    assert error.message == (
        'pods "agent-worker" is forbidden: failed quota: dev-quota: must specify '
        "limits.cpu for: worker; limits.memory for: worker; requests.cpu for: worker; "
        "requests.memory for: worker"
    )


def test_constraints_of_every_quota_are_checked_before_any_charge() -> None:
    exhausted = quota("a-pods", {"pods": "1"}, {"pods": "1"})
    strict = quota("b-compute", {"limits.cpu": "4"}, {"limits.cpu": "0"})
    error = refused(check_quotas, "Pod", pod("x", container("x")), [strict, exhausted])
    assert error.message == (
        'pods "x" is forbidden: failed quota: b-compute: must specify limits.cpu for: x'
    )


def test_quotas_are_charged_in_name_order() -> None:
    first = quota("a", {"pods": "1"}, {"pods": "1"})
    second = quota("b", {"pods": "1"}, {"pods": "1"})
    error = refused(check_quotas, "Pod", pod("x", container("x")), [second, first])
    assert error.message.startswith('pods "x" is forbidden: exceeded quota: a, ')


def test_pod_level_resources_waive_the_container_constraint() -> None:
    hard = {"limits.cpu": "4"}
    sized = pod("x", container("x"), resources={"limits": {"cpu": "1"}})
    assert check_quotas("Pod", sized, [quota("q", hard, {"limits.cpu": "0"})]) == {
        "q": {"limits.cpu": "1"}
    }


def test_quota_without_usage_status_refuses() -> None:
    error = refused(check_quotas, "Pod", pod("x", container("x")), [quota("q", {"pods": "3"})])
    assert error.message == 'pods "x" is forbidden: status unknown for quota: q, resources: pods'


def test_hard_comes_from_status_not_spec() -> None:
    raised = quota("q", {"pods": "10"}, {"pods": "1"})
    raised["status"]["hard"] = {"pods": "1"}  # the controller has not synced the new spec yet
    error = refused(check_quotas, "Pod", pod("x", container("x")), [raised])
    assert error.message.endswith("requested: pods=1, used: pods=1, limited: pods=1")


def test_scoped_quota_ignores_pods_outside_its_scope() -> None:
    best_effort = quota("be", {"pods": "1"}, {"pods": "1"}, scopes=["BestEffort"])
    sized = pod("x", container("x", {"cpu": "100m"}))
    assert check_quotas("Pod", sized, [best_effort]) == {}
    error = refused(check_quotas, "Pod", pod("y", container("y")), [best_effort])
    assert error.message == (
        'pods "y" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, '
        "limited: pods=1"
    )


def test_priority_class_selector() -> None:
    selector = {
        "matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]
    }
    high = quota("high", {"pods": "5"}, {"pods": "0"}, scopeSelector=selector)
    assert check_quotas("Pod", pod("x", container("x"), priorityClassName="high"), [high]) == {
        "high": {"pods": "1"}
    }
    assert check_quotas("Pod", pod("y", container("y")), [high]) == {}


def test_gpu_quota_counts_requests_of_the_extended_resource() -> None:
    trainer = pod(
        "trainer",
        container("t", {"cpu": "1", "nvidia.com/gpu": "2"}, {"nvidia.com/gpu": "2"}),
    )
    gpu = quota("gpu", {"requests.nvidia.com/gpu": "4"}, {"requests.nvidia.com/gpu": "3"})
    error = refused(check_quotas, "Pod", trainer, [gpu])
    assert error.message == (
        'pods "trainer" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/gpu=2, '
        "used: requests.nvidia.com/gpu=3, limited: requests.nvidia.com/gpu=4"
    )


def test_other_kinds_are_charged_only_object_counts() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "agent-api", "namespace": "dev"},
        "spec": {"replicas": 2},
    }
    counts = quota(
        "counts",
        {"count/deployments.apps": "2", "pods": "10"},
        {"count/deployments.apps": "1", "pods": "4"},
    )
    assert check_quotas("Deployment", deployment, [counts]) == {
        "counts": {"count/deployments.apps": "2", "pods": "4"}
    }
    full = quota("counts", {"count/deployments.apps": "1"}, {"count/deployments.apps": "1"})
    error = refused(check_quotas, "Deployment", deployment, [full])
    assert error.message == (
        'deployments.apps "agent-api" is forbidden: exceeded quota: counts, '
        "requested: count/deployments.apps=1, used: count/deployments.apps=1, "
        "limited: count/deployments.apps=1"
    )
    assert error.details == {"name": "agent-api", "kind": "deployments", "group": "apps"}


def test_pvc_is_charged_storage_and_counts() -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "dev"},
        "spec": {"storageClassName": "gold", "resources": {"requests": {"storage": "4Gi"}}},
    }
    hard = {"requests.storage": "10Gi", "gold.storageclass.storage.k8s.io/requests.storage": "5Gi"}
    used = {"requests.storage": "2Gi", "gold.storageclass.storage.k8s.io/requests.storage": "2Gi"}
    error = refused(check_quotas, "PersistentVolumeClaim", claim, [quota("storage", hard, used)])
    assert error.message == (
        'persistentvolumeclaims "data" is forbidden: exceeded quota: storage, '
        "requested: gold.storageclass.storage.k8s.io/requests.storage=4Gi, "
        "used: gold.storageclass.storage.k8s.io/requests.storage=2Gi, "
        "limited: gold.storageclass.storage.k8s.io/requests.storage=5Gi"
    )


def test_generate_name_is_used_before_a_name_exists() -> None:
    templated = pod("", container("c", {"cpu": "1"}))
    templated["metadata"] = {"generateName": "agent-api-7d9f8b6c4-", "namespace": "dev"}
    error = refused(check_quotas, "Pod", templated, [quota("q", {"pods": "0"}, {"pods": "0"})])
    assert error.message.startswith('pods "agent-api-7d9f8b6c4-" is forbidden: exceeded quota')


# -- the quota controller's status.used ----------------------------------------------------


def test_used_excludes_terminal_pods_but_counts_them_as_objects() -> None:
    hard = {"pods": "10", "count/pods": "10", "requests.cpu": "4"}
    done = pod("done", container("c", {"cpu": "1"}), phase="Succeeded")
    running = pod("run", container("c", {"cpu": "250m"}), phase="Running")
    used = quota_used(quota("q", hard), pods=[done, running], pvcs=[], object_counts={})
    assert used == {"pods": "1", "count/pods": "2", "requests.cpu": "250m"}


def test_used_has_only_tracked_hard_keys_and_zeroes() -> None:
    hard = {
        "requests.nvidia.com/gpu": "4",
        "count/deployments.apps": "5",
        "configmaps": "10",
        "services.loadbalancers": "1",
        "persistentvolumeclaims": "3",
        "something.unknown": "1",
    }
    used = quota_used(
        quota("q", hard),
        pods=[],
        pvcs=[],
        object_counts={"count/deployments.apps": 3, "count/configmaps": 2},
    )
    assert used == {
        "requests.nvidia.com/gpu": "0",
        "count/deployments.apps": "3",
        "configmaps": "2",
        "persistentvolumeclaims": "0",
    }


def test_used_applies_scopes_and_namespaces() -> None:
    hard = {"pods": "10", "count/deployments.apps": "5", "requests.storage": "1Ti"}
    job = pod("job", container("c"), activeDeadlineSeconds=60)
    web = pod("web", container("c"))
    other_ns = pod("elsewhere", container("c"), activeDeadlineSeconds=60)
    other_ns["metadata"]["namespace"] = "prod"
    claim = {"metadata": {"name": "d"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    used = quota_used(
        quota("q", hard, scopes=["Terminating"]),
        pods=[job, web, other_ns],
        pvcs=[claim],
        object_counts={"count/deployments.apps": 3},
    )
    # Only the pod evaluator understands scopes; PVCs and object counts never match them.
    assert used == {"pods": "1", "count/deployments.apps": "0", "requests.storage": "0"}


def test_used_sums_pvcs() -> None:
    claims = [
        {"metadata": {"name": n}, "spec": {"resources": {"requests": {"storage": s}}}}
        for n, s in (("a", "1Gi"), ("b", "512Mi"))
    ]
    hard = {"requests.storage": "10Gi", "persistentvolumeclaims": "5"}
    used = quota_used(quota("q", hard), pods=[], pvcs=claims, object_counts={})
    assert used == {"requests.storage": "1536Mi", "persistentvolumeclaims": "2"}


# -- LimitRanger ---------------------------------------------------------------------------


def test_limits_default_requests_before_limitranger() -> None:
    # API defaulting runs at decode time, before admission: a limit becomes the request.
    p = pod("x", container("c", limits={"cpu": "400m"}))
    apply_limitrange_defaults(p, [DEV_LIMITS])
    assert p["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "400m", "memory": "256Mi"},
        "requests": {"cpu": "400m", "memory": "128Mi"},
    }
    assert p["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: memory request for container c; memory limit for container c"
    )


def test_init_containers_are_defaulted_too() -> None:
    p = pod(
        "x",
        container("c", {"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m", "memory": "64Mi"}),
        initContainers=[container("init")],
    )
    apply_limitrange_defaults(p, [DEV_LIMITS])
    assert p["spec"]["initContainers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "250m", "memory": "256Mi"},
    }
    assert p["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for init container init; "
        "cpu, memory limit for init container init"
    )


def test_no_limitrange_means_no_change() -> None:
    p = pod("x", container("c"))
    before = copy.deepcopy(p)
    apply_limitrange_defaults(p, [])
    validate_limitranges("Pod", p, [])
    assert p == before


def test_container_defaults_follow_limitrange_defaulting() -> None:
    only_bounds = {
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}
    }
    assert container_defaults(only_bounds) == ({"memory": "64Mi", "cpu": "2"}, {"cpu": "2"})


def test_min_and_max_violations_are_aggregated() -> None:
    p = pod("x", container("x", {"cpu": "5m", "memory": "64Mi"}, {"cpu": "100m", "memory": "1Gi"}))
    error = refused(validate_limitranges, "Pod", p, [DEV_LIMITS])
    assert error.message == (
        'pods "x" is forbidden: [minimum cpu usage per Container is 10m, but request is 5m, '
        "maximum memory usage per Container is 512Mi, but limit is 1Gi]"
    )
    assert error.code == 403


def test_single_violation_has_no_brackets() -> None:
    p = pod("x", container("x", {"cpu": "100m", "memory": "64Mi"}, {"cpu": "1", "memory": "64Mi"}))
    error = refused(validate_limitranges, "Pod", p, [DEV_LIMITS])
    assert error.message == (
        'pods "x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1'
    )


def test_missing_values_and_ratio() -> None:
    ratio = {
        "spec": {
            "limits": [
                {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}},
                {"type": "Pod", "max": {"memory": "1Gi"}, "min": {"cpu": "1"}},
            ]
        }
    }
    p = pod("x", container("a", {"cpu": "100m"}, {"cpu": "250m"}), container("b"))
    error = refused(validate_limitranges, "Pod", p, [ratio])
    assert error.message == (
        'pods "x" is forbidden: [cpu max limit to request ratio per Container is 2, but provided '
        "ratio is 2.500000, cpu max limit to request ratio per Container is 2, but no request is "
        "specified or request is 0, minimum cpu usage per Pod is 1, but request is 100m, "
        "maximum memory usage per Pod is 1Gi.  No limit is specified]"
    )


def test_first_violated_limitrange_refuses() -> None:
    loose = {"spec": {"limits": [{"type": "Container", "max": {"cpu": "4"}}]}}
    tight = {"spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}}]}}
    p = pod("x", container("x", {"cpu": "2"}, {"cpu": "2"}))
    validate_limitranges("Pod", p, [loose])
    error = refused(validate_limitranges, "Pod", p, [loose, tight])
    assert error.message == (
        'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    )


def test_pvc_storage_bounds() -> None:
    bounds = {
        "spec": {
            "limits": [
                {
                    "type": "PersistentVolumeClaim",
                    "min": {"storage": "1Gi"},
                    "max": {"storage": "10Gi"},
                }
            ]
        }
    }
    small: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "dev"},
        "spec": {"resources": {"requests": {"storage": "500Mi"}}},
    }
    error = refused(validate_limitranges, "PersistentVolumeClaim", small, [bounds])
    assert error.message == (
        'persistentvolumeclaims "data" is forbidden: '
        "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    )
    small["spec"]["resources"]["requests"]["storage"] = "20Gi"
    error = refused(validate_limitranges, "PersistentVolumeClaim", small, [bounds])
    assert error.message == (
        'persistentvolumeclaims "data" is forbidden: '
        "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"
    )
