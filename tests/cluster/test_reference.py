"""The reference scenario on the real control plane: what quotameter exports equals
what kubectl reads, with `status.used` from the real quota controller and defaults
from the real LimitRanger."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import (
    AGENT_WORKER,
    REFERENCE,
    get_json,
    labels,
    limitrange_samples,
    only,
    quantity,
    quota_samples,
    wait_pods_running,
    wait_quota_used,
)

TEAMS = {"dev": "agents", "staging": "agents", "prod": "agents-prod"}
QUOTA_METRICS = {
    "quotameter_quota_hard",
    "quotameter_quota_used",
    "quotameter_quota_saturation_ratio",
}
COMPUTE_KEYS = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods")


@pytest.fixture(scope="module")
def reference(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    """dev, staging and prod applied with `kubectl apply -f`, their agent-api pods running."""
    for manifest in REFERENCE:
        control_plane.kubectl("apply", "-f", str(manifest))
    for ns in TEAMS:
        wait_pods_running(control_plane, ns, 2)
        wait_quota_used(control_plane, ns, f"{ns}-quota", "pods", "2")
    yield control_plane
    control_plane.kubectl("delete", "namespace", *TEAMS, "--wait=true", "--timeout=120s")


def quota_view(cp: ControlPlane) -> dict:
    return quota_samples(get_json(cp, "resourcequota", "-A")["items"], TEAMS)


def test_dev_quota_used_is_what_kubectl_prints(reference: ControlPlane) -> None:
    used = get_json(reference, "resourcequota", "dev-quota", "-n", "dev")["status"]["used"]
    assert {k: quantity(v) for k, v in used.items()} == {
        "requests.cpu": 0.2,
        "requests.memory": 256 * 2**20,
        "limits.cpu": 1.0,
        "limits.memory": 2**30,
        "pods": 2.0,
        "requests.storage": 0.0,
    }


def test_quota_and_limitrange_series_equal_kubectl(
    reference: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    samples = daemon.samples()
    expected = quota_view(reference)
    assert only(samples, QUOTA_METRICS, set(TEAMS)) == pytest.approx(expected)
    assert len(expected) == 3 * (6 + 5 + 5)  # hard, used, ratio; dev has requests.storage too
    ranges = get_json(reference, "limitrange", "-A")["items"]
    expected_ranges = limitrange_samples(
        [r for r in ranges if r["metadata"]["namespace"] in TEAMS], TEAMS
    )
    assert only(samples, {"quotameter_limitrange"}, set(TEAMS)) == pytest.approx(expected_ranges)
    assert len(expected_ranges) == 3 * 4 * 2


def test_agent_worker_gets_limitrange_defaults_and_counts(
    reference: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    reference.kubectl("apply", "-f", str(AGENT_WORKER))
    pod = get_json(reference, "pod", "agent-worker", "-n", "dev")
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "250m", "memory": "256Mi"},
    }
    wait_quota_used(reference, "dev", "dev-quota", "pods", "3")
    used = get_json(reference, "resourcequota", "dev-quota", "-n", "dev")["status"]["used"]
    assert [used[k] for k in COMPUTE_KEYS] == ["300m", "384Mi", "1250m", "1280Mi", "3"]

    def daemon_equals_kubectl() -> bool:
        return only(daemon.samples(), QUOTA_METRICS, set(TEAMS)) == pytest.approx(
            quota_view(reference)
        )

    wait_for(daemon_equals_kubectl, within=10, what="the daemon to see agent-worker")
    requests = daemon.samples()[
        ("quotameter_namespace_requests", labels(namespace="dev", team="agents", resource="cpu"))
    ]
    assert requests == pytest.approx(0.3)
    reference.kubectl("delete", "pod", "agent-worker", "-n", "dev", "--wait=true")
    wait_quota_used(reference, "dev", "dev-quota", "pods", "2")


def test_observed_used_equals_status_used(
    reference: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    """quotameter's own recount from live pods agrees with the real quota controller."""
    daemon = run_daemon()
    samples = daemon.samples()
    quotas = get_json(reference, "resourcequota", "-A")["items"]
    compared = 0
    for q in quotas:
        ns, name = q["metadata"]["namespace"], q["metadata"]["name"]
        if ns not in TEAMS:
            continue
        for key in COMPUTE_KEYS:
            key_labels = labels(namespace=ns, team=TEAMS[ns], quota=name, resource=key)
            observed = samples[("quotameter_quota_observed_used", key_labels)]
            assert observed == pytest.approx(quantity(q["status"]["used"][key])), (ns, key)
            compared += 1
    assert compared == 3 * len(COMPUTE_KEYS)
