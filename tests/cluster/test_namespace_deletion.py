"""Namespace deletion through the real namespace controller removes the namespace's
series; what it cost this month stays, because finance bills it."""

from __future__ import annotations

from collections.abc import Callable

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, Samples, wait_for
from tests.cluster.reading import wait_pods_running

NS = "doomed"
ACCRUED = {"quotameter_cost_total", "quotameter_cost_month_to_date"}
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{team: short-lived}}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: doomed-quota, namespace: {NS}}}
spec: {{hard: {{pods: "5", requests.cpu: "2"}}}}
---
apiVersion: v1
kind: LimitRange
metadata: {{name: doomed-limits, namespace: {NS}}}
spec:
  limits:
  - type: Container
    defaultRequest: {{cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {{name: lone, namespace: {NS}}}
spec:
  containers: [{{name: main, image: registry.example.com/lone:1}}]
"""


def series_of(samples: Samples) -> set[str]:
    return {name for name, labels in samples if ("namespace", NS) in labels}


def test_deleted_namespace_loses_its_series(
    control_plane: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    control_plane.kubectl("apply", "-f", "-", input=MANIFESTS)
    wait_pods_running(control_plane, NS, 1)
    wait_for(
        lambda: (
            {"quotameter_quota_hard", "quotameter_limitrange", "quotameter_namespace_requests"}
            <= series_of(daemon.samples())
        ),
        within=15,
        what="the doomed namespace's series",
    )
    control_plane.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=120s")
    wait_for(
        lambda: not (series_of(daemon.samples()) - ACCRUED),
        within=15,
        what="every series but the accrued cost to go",
    )
    remaining = series_of(daemon.samples())
    assert remaining <= ACCRUED
    assert "quotameter_cost_total" in remaining
