"""Usage through the real aggregation path: KWOK emulates each pod's kubelet resource
metrics, metrics-server serves metrics.k8s.io, and quotameter's usage equals `kubectl top`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import labels, quantity, wait_pods_running

NS = "usage"
PODS = 3
CPU, MEMORY = "150m", "96Mi"
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{team: metered}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: busy, namespace: {NS}}}
spec:
  replicas: {PODS}
  selector: {{matchLabels: {{app: busy}}}}
  template:
    metadata:
      labels: {{app: busy}}
      annotations:
        kwok.x-k8s.io/usage-cpu: {CPU}
        kwok.x-k8s.io/usage-memory: {MEMORY}
    spec:
      containers:
      - name: main
        image: registry.example.com/busy:1
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
"""


def kubectl_top(cp: ControlPlane) -> dict[str, float] | None:
    """`kubectl top pods` cpu and memory summed over the namespace; None until every pod shows."""
    done = cp.kubectl("top", "pods", "-n", NS, "--no-headers", check=False)
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(rows) != PODS:
        return None
    return {
        "cpu": sum(quantity(cpu) for _, cpu, _ in rows),
        "memory": sum(quantity(memory) for _, _, memory in rows),
    }


def daemon_usage(daemon: DaemonProcess) -> dict[str, float | None]:
    samples = daemon.samples()
    return {
        r: samples.get(
            ("quotameter_namespace_usage", labels(namespace=NS, team="metered", resource=r))
        )
        for r in ("cpu", "memory")
    }


def test_usage_equals_kubectl_top_and_metrics_api_up_follows_metrics_server(
    control_plane: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    control_plane.kubectl("apply", "-f", "-", input=MANIFESTS)
    wait_pods_running(control_plane, NS, PODS)
    wait_for(lambda: kubectl_top(control_plane), within=90, what="kubectl top to show the pods")
    daemon = run_daemon()

    def agrees() -> bool:
        top, ours = kubectl_top(control_plane), daemon_usage(daemon)
        cpu, memory = ours["cpu"], ours["memory"]
        if top is None or cpu is None or memory is None:
            return False
        # kubectl top rounds each pod to 1m and 1Mi; quotameter keeps the exact values.
        return abs(cpu - top["cpu"]) <= PODS * 0.001 and (
            abs(memory - top["memory"]) <= PODS * 2**20
        )

    wait_for(agrees, within=30, what="quotameter's usage to equal kubectl top")
    ours = daemon_usage(daemon)
    # metrics-server derives cpu from KWOK's cumulative counter over its scrape window, so
    # the rate wobbles around the annotated 150m; memory is a gauge and exact.
    assert ours["cpu"] == pytest.approx(PODS * 0.150, rel=0.1)
    assert ours["memory"] == PODS * 96 * 2**20
    up = ("quotameter_metrics_api_up", frozenset[tuple[str, str]]())
    assert daemon.samples()[up] == 1

    control_plane.stop_component("metrics-server")
    try:
        wait_for(lambda: daemon.samples()[up] == 0, within=30, what="metrics_api_up to fall to 0")
        assert daemon_usage(daemon) == {"cpu": None, "memory": None}
    finally:
        control_plane.start_component("metrics-server")
    wait_for(lambda: daemon.samples()[up] == 1, within=60, what="metrics_api_up back at 1")
    control_plane.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=120s")
