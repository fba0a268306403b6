"""A Deployment scaled past its quota: the real ReplicaSet controller writes the
FailedCreate Events, and quotameter counts one refusal per Event occurrence."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import get_json, labels

NS = "crowded"
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{team: crowd}}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: crowded-quota, namespace: {NS}}}
spec: {{hard: {{pods: "2", requests.cpu: "1"}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: burst, namespace: {NS}}}
spec:
  replicas: 6
  selector: {{matchLabels: {{app: burst}}}}
  template:
    metadata: {{labels: {{app: burst}}}}
    spec:
      containers:
      - name: main
        image: registry.example.com/burst:1
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
"""
# The quota admission's wording, read independently of quotameter's parser.
LIMITED = re.compile(r"exceeded quota: (?P<quota>[^,]+), .*limited: (?P<limited>\S+)$")


def refusals_by_resource(cp: ControlPlane) -> dict[str, int]:
    """Refusals per limited resource, from the core/v1 Events' text and count."""
    totals: dict[str, int] = {}
    for event in get_json(cp, "events", "-n", NS, "--field-selector=reason=FailedCreate")["items"]:
        match = LIMITED.search(event["message"])
        if match is None or match["quota"] != "crowded-quota":
            continue
        for item in match["limited"].split(","):
            resource = item.split("=")[0]
            totals[resource] = totals.get(resource, 0) + (event.get("count") or 1)
    return totals


def series_counts(cp: ControlPlane) -> int:
    """The same refusals as the events.k8s.io API writes them: series.count, else 1."""
    events = get_json(cp, "events.v1.events.k8s.io", "-n", NS)["items"]
    return sum(
        (e.get("series") or {}).get("count") or e.get("deprecatedCount") or 1
        for e in events
        if e.get("reason") == "FailedCreate" and "exceeded quota: crowded-quota" in e["note"]
    )


def test_rejections_equal_the_refusals_the_events_record(
    control_plane: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    control_plane.kubectl("apply", "-f", "-", input=MANIFESTS)
    wait_for(
        lambda: refusals_by_resource(control_plane).get("pods", 0) >= 10,
        within=90,
        what="the ReplicaSet controller to be refused ten times",
    )
    # Stop the refusals, then let the last Event updates land.
    control_plane.kubectl("scale", "deployment/burst", "-n", NS, "--replicas=2")
    previous: dict[str, int] = {}
    while (now := refusals_by_resource(control_plane)) != previous:
        previous = now
        time.sleep(3)
    truth = refusals_by_resource(control_plane)
    assert set(truth) == {"pods"}
    assert series_counts(control_plane) == truth["pods"]

    key = labels(namespace=NS, team="crowd", quota="crowded-quota", resource="pods")

    def counted() -> float | None:
        return daemon.samples().get(("quotameter_quota_rejections_total", key))

    wait_for(lambda: counted() == truth["pods"], within=15, what=f"{truth} rejections counted")
    assert counted() == truth["pods"]
    control_plane.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=120s")
